import { Producer, createRedis } from '@vaults/shared';
import { trade } from '@vaults/testkit';
import type { WorkerProcess } from './workers';

export interface ProbeResult {
  ready: number[];
  alive: number[];
  /** checks named in the 503 bodies, e.g. "database: connect ECONNREFUSED" */
  failing: string[];
}

/** /readyz and /healthz of each process (status codes), and the failing readiness checks. */
export async function probe(workers: WorkerProcess[]): Promise<ProbeResult> {
  const out: ProbeResult = { ready: [], alive: [], failing: [] };
  for (const w of workers) {
    const ready = await w.get('/readyz').catch((e) => ({ status: -1, body: String(e) }));
    const alive = await w.get('/healthz').catch((e) => ({ status: -1, body: String(e) }));
    out.ready.push(ready.status);
    out.alive.push(alive.status);
    if (ready.status !== 200) {
      try {
        const checks = JSON.parse(ready.body).checks as Record<string, string>;
        for (const [k, v] of Object.entries(checks)) if (v !== 'ok') out.failing.push(`${w.service} ${k}: ${v}`);
      } catch {
        out.failing.push(`${w.service}: ${ready.body.slice(0, 120)}`);
      }
    }
  }
  return out;
}

/**
 * What an indexer sees when it adds a job while Redis is down: a producer made the documented
 * way (`createRedis(url, 'fail-fast')`), fresh or already connected before the outage.
 */
export async function producerAddWhileDown(redisUrl: string, prefix: string, budgetMs = 10_000): Promise<{ ok: boolean; tookMs: number; message: string }> {
  const redis = createRedis(redisUrl, 'fail-fast');
  redis.on('error', () => undefined);
  // Its own queue name: should the add ever go through, it lands nowhere a worker reads.
  const producer = new Producer({ connection: redis, prefix, queueSuffix: '-producer-probe', onError: () => undefined });
  const { type, ...probe } = trade(1, 1n);
  const t0 = Date.now();
  try {
    const outcome = await Promise.race([
      producer.tradeExecuted(probe).then(() => 'added'),
      new Promise<string>((r) => setTimeout(() => r('no answer'), budgetMs)),
    ]);
    return { ok: false, tookMs: Date.now() - t0, message: outcome === 'added' ? 'the add succeeded while Redis was down' : `no error within ${budgetMs} ms` };
  } catch (err) {
    return { ok: true, tookMs: Date.now() - t0, message: (err as Error).message };
  } finally {
    producer.close().catch(() => undefined);
    redis.disconnect();
  }
}
