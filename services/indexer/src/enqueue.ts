import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { prepareEventJob, type EventJob, type Producer, type QueueKey } from '@vaults/shared';
import type { IndexerMetrics } from './metrics';
import type { SentLog } from './store';

/** What a removal is built from: a sent log's kind and payload. */
export type SentEvent = Pick<SentLog, 'kind' | 'payload'>;

// Hands event jobs (built by the contract's eventJob: the same jobs Producer.tradeExecuted & co.
// add) to the Producer's queues with one addBulk per queue and chunk instead of one round trip
// per event (a backfill sends tens of thousands). Resolves only when Redis accepted them all:
// the caller advances the cursor after.

/** Events validated between two yields to the event loop (a validation is ~10-20 µs). */
export const YIELD_EVERY = 1000;

/**
 * The removal jobs of logs sent before (a re-organisation dropped their blocks). Yields to the
 * event loop every YIELD_EVERY logs, so probes and the lock's connection are served meanwhile.
 */
export async function removalJobs(logs: readonly SentEvent[]): Promise<EventJob[]> {
  const jobs: EventJob[] = [];
  for (const [i, l] of logs.entries()) {
    if (i > 0 && i % YIELD_EVERY === 0) await yieldToEventLoop();
    const job = prepareEventJob(l.kind, { ...l.payload, removed: true });
    if ('problem' in job) throw new Error(`refusing to enqueue an invalid removal of ${l.kind}: ${job.problem}`);
    jobs.push(job);
  }
  return jobs;
}

/**
 * The jobs grouped by queue in one pass: each job is pushed once onto its queue's list (linear;
 * copying the list per event was quadratic: 99 s of blocked event loop at 80,000 events).
 */
export function groupByQueue(jobs: readonly EventJob[]): Map<QueueKey, EventJob[]> {
  const byQueue = new Map<QueueKey, EventJob[]>();
  for (const job of jobs) {
    let list = byQueue.get(job.queue);
    if (!list) byQueue.set(job.queue, (list = []));
    list.push(job);
  }
  return byQueue;
}

export async function enqueueJobs(producer: Producer, jobs: readonly EventJob[], chunkSize: number, metrics: IndexerMetrics): Promise<void> {
  await Promise.all(
    [...groupByQueue(jobs)].map(async ([key, list]) => {
      for (let i = 0; i < list.length; i += chunkSize) {
        await producer.queue(key).addBulk(list.slice(i, i + chunkSize).map(({ name, data, opts }) => ({ name, data, opts })));
      }
    }),
  );
  for (const j of jobs) metrics.logsEnqueued.inc({ kind: j.name, removed: String(j.data.removed === true) });
}

/** Removals of logs sent before: their jobs, enqueued. */
export async function enqueueRemovals(producer: Producer, logs: readonly SentEvent[], chunkSize: number, metrics: IndexerMetrics): Promise<void> {
  await enqueueJobs(producer, await removalJobs(logs), chunkSize, metrics);
}
