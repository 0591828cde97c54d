import { EVENT_JOB_OPTIONS, eventJobId, parsePayload, type Producer, type QueueKey } from '@vaults/shared';
import type { IndexerMetrics } from './metrics';

// Hands events to the project's Producer queues: validated with the contract's schemas, job ids
// derived from the identity (eventJobId) and the Producer's retention, exactly the jobs
// Producer.tradeExecuted & co. add, but with one addBulk per queue and chunk instead of one round
// trip per event (a backfill sends tens of thousands). Resolves only when Redis accepted them all:
// the caller advances the cursor after.

export interface OutgoingEvent {
  kind: string;
  payload: Record<string, unknown>;
}

interface PreparedJob {
  key: QueueKey;
  name: string;
  data: Record<string, unknown>;
}

const QUEUE_OF: Record<string, QueueKey> = {
  VaultDeployed: 'vault',
  TradeExecuted: 'trade',
  FollowerSubscribed: 'follower',
  FollowerUnsubscribed: 'follower',
};

/** The job for an event, or the contract's reason to reject it. */
export function prepare(e: OutgoingEvent): PreparedJob | { problem: string } {
  const key = QUEUE_OF[e.kind];
  if (!key) return { problem: `unknown event kind ${e.kind}` };
  // As the Producer does: a follower event's job name follows its action.
  const name = key === 'follower' ? (e.payload.action === 'WITHDRAW' ? 'FollowerUnsubscribed' : 'FollowerSubscribed') : e.kind;
  const parsed = parsePayload(key, name, e.payload);
  return parsed.ok ? { key, name, data: parsed.data } : { problem: parsed.reason };
}

export function payloadProblem(e: OutgoingEvent): string | null {
  const p = prepare(e);
  return 'problem' in p ? p.problem : null;
}

export async function enqueueAll(producer: Producer, events: OutgoingEvent[], chunkSize: number, metrics: IndexerMetrics): Promise<void> {
  const byQueue = new Map<QueueKey, PreparedJob[]>();
  for (const e of events) {
    const p = prepare(e);
    if ('problem' in p) throw new Error(`refusing to enqueue an invalid ${e.kind}: ${p.problem}`);
    byQueue.set(p.key, [...(byQueue.get(p.key) ?? []), p]);
  }
  await Promise.all(
    [...byQueue].map(async ([key, jobs]) => {
      for (let i = 0; i < jobs.length; i += chunkSize) {
        const chunk = jobs.slice(i, i + chunkSize).map((j) => ({
          name: j.name,
          data: j.data,
          opts: { ...EVENT_JOB_OPTIONS, jobId: eventJobId(j.name, j.data as { chainId: number; blockHash: string; logIndex: number; removed: boolean }) },
        }));
        await producer.queue(key).addBulk(chunk);
      }
    }),
  );
  for (const e of events) metrics.logsEnqueued.inc({ kind: e.kind, removed: String(e.payload.removed === true) });
}
