import { Queue } from 'bullmq';
import { createRedis } from '@vaults/shared';
import { rssKb, type WorkerProcess } from './workers';

// A producer floods a worker's queue with jobs of distinct made-up names while Prometheus
// scrapes its /metrics. Metric labels may only take values from sets the code defines, so the
// series count must stay where it was, and the worker (heap-capped as in the image) must live.
// Used by tests/contract/metrics-cardinality.test.ts and the fault suite's scenario.

export interface FloodResult {
  names: number;
  /** Series (sample lines) on /metrics before the flood, and the most seen during and after it. */
  seriesBefore: number;
  seriesMax: number;
  /** Size of the largest /metrics body seen, in bytes. */
  bodyMaxBytes: number;
  scrapes: number;
  failedScrapes: number;
  /** Why the first failed scrape failed (a timeout under CPU contention is not a failure of the rule). */
  scrapeError?: string;
  peakRssMb: number;
  failedJobs: number;
  alive: boolean;
  ms: number;
}

export function countSeries(body: string): number {
  return body.split('\n').filter((l) => l && !l.startsWith('#')).length;
}

/**
 * Adds `names` jobs, each with a name of its own, to the worker's queue, scraping /metrics
 * back to back until every job has failed (or the worker died, or `timeoutMs` passed).
 */
export async function floodNames(opts: {
  worker: WorkerProcess;
  redisUrl: string;
  prefix: string;
  queue: string;
  names: number;
  timeoutMs?: number;
}): Promise<FloodResult> {
  const { worker, names } = opts;
  const t0 = Date.now();
  const redis = createRedis(opts.redisUrl, 'wait');
  const queue = new Queue(opts.queue, { connection: redis, prefix: opts.prefix });
  let scrapes = 0;
  let failedScrapes = 0;
  let scrapeError: string | undefined;
  let seriesMax = 0;
  let bodyMaxBytes = 0;
  let peakRssKb = 0;
  const scrape = async (): Promise<number | undefined> => {
    peakRssKb = Math.max(peakRssKb, rssKb(worker.pid));
    try {
      const { status, body } = await worker.get('/metrics', 10_000);
      scrapes++;
      if (status !== 200) throw new Error(`status ${status}`);
      const n = countSeries(body);
      seriesMax = Math.max(seriesMax, n);
      bodyMaxBytes = Math.max(bodyMaxBytes, Buffer.byteLength(body));
      return n;
    } catch (err) {
      failedScrapes++;
      scrapeError ??= (err as Error).message;
      return undefined;
    } finally {
      peakRssKb = Math.max(peakRssKb, rssKb(worker.pid));
    }
  };
  try {
    const seriesBefore = (await scrape()) ?? 0;
    let done = false;
    const scraper = (async () => {
      while (!done && worker.alive) await scrape();
    })();
    try {
      for (let i = 0; i < names; i += 1000) {
        const chunk = Array.from({ length: Math.min(1000, names - i) }, (_, j) => ({ name: `made-up-name-${i + j}-${t0}`, data: {} }));
        await queue.addBulk(chunk);
      }
      const deadline = t0 + (opts.timeoutMs ?? 120_000);
      while (worker.alive && Date.now() < deadline && (await queue.getFailedCount()) < names) await new Promise((r) => setTimeout(r, 100));
    } finally {
      done = true;
      await scraper;
    }
    if (worker.alive) await scrape();
    return {
      names,
      seriesBefore,
      seriesMax,
      bodyMaxBytes,
      scrapes,
      failedScrapes,
      scrapeError,
      peakRssMb: Math.round(peakRssKb / 1024),
      failedJobs: await queue.getFailedCount(),
      alive: worker.alive,
      ms: Date.now() - t0,
    };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    redis.disconnect();
  }
}

/** What the flood must leave true; empty when it held. */
export function floodProblems(r: FloodResult, maxNewSeries = 200): string[] {
  const problems: string[] = [];
  if (!r.alive) problems.push('the worker died during the flood');
  if (r.failedJobs !== r.names) problems.push(`${r.failedJobs} of ${r.names} made-up names failed`);
  if (r.seriesMax > r.seriesBefore + maxNewSeries) problems.push(`/metrics grew from ${r.seriesBefore} to ${r.seriesMax} series (at most +${maxNewSeries} allowed)`);
  // A scrape may time out while two cores are busy; the rule is that scrapes keep answering.
  if (r.scrapes - r.failedScrapes < 3) problems.push(`only ${r.scrapes - r.failedScrapes} of ${r.scrapes} scrapes answered (${r.scrapeError})`);
  return problems;
}

export function describeFlood(r: FloodResult): string {
  return `${r.names} made-up job names in ${(r.ms / 1000).toFixed(1)} s: series ${r.seriesBefore} -> max ${r.seriesMax}, largest /metrics ${(r.bodyMaxBytes / 1024).toFixed(0)} KB, ${r.scrapes} scrapes (${r.failedScrapes} failed${r.scrapeError ? `: ${r.scrapeError}` : ''}), peak RSS ${r.peakRssMb} MB, worker ${r.alive ? 'alive' : 'dead'}`;
}
