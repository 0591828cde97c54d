import type { Queue } from 'bullmq';
import { eventJobOf, type AnyEvent } from '@vaults/testkit';
import { sleep } from './stats';

// Enqueueing as an indexer would (the contract's eventJob: the same job ids and retention as
// @vaults/shared's Producer), but with addBulk, so that the producer is not what a pipeline
// measurement measures. Every event's enqueue time is recorded by txHash (the bench's events have
// unique hashes), taken just before the addBulk call that carries it, on this machine's clock.

export type EnqueueTimes = Map<string, number>;

export function bulkJobs(events: AnyEvent[]) {
  return events.map((e) => {
    const { name, data, opts } = eventJobOf(e);
    return { name, data, opts };
  });
}

export interface EnqueueResult {
  startedAt: number;
  endedAt: number;
}

/** As fast as possible: sequential addBulk calls of `chunk` jobs. */
export async function enqueueBurst(queue: Queue, events: AnyEvent[], chunk: number, times?: EnqueueTimes): Promise<EnqueueResult> {
  const jobs = bulkJobs(events);
  const startedAt = Date.now();
  for (let i = 0; i < jobs.length; i += chunk) {
    const now = Date.now();
    if (times) for (const e of events.slice(i, i + chunk)) times.set(e.txHash, now);
    await queue.addBulk(jobs.slice(i, i + chunk));
  }
  return { startedAt, endedAt: Date.now() };
}

/** At a steady rate: every tickMs, add the events that have come due since the last tick. */
export async function enqueuePaced(queue: Queue, events: AnyEvent[], perSecond: number, times: EnqueueTimes, tickMs = 5): Promise<EnqueueResult> {
  const jobs = bulkJobs(events);
  const startedAt = Date.now();
  let sent = 0;
  while (sent < jobs.length) {
    const due = Math.min(jobs.length, Math.floor(((Date.now() - startedAt) * perSecond) / 1000) + 1);
    if (due > sent) {
      const now = Date.now();
      for (const e of events.slice(sent, due)) times.set(e.txHash, now);
      await queue.addBulk(jobs.slice(sent, due));
      sent = due;
    }
    await sleep(tickMs);
  }
  return { startedAt, endedAt: Date.now() };
}
