import { parsePayload, type Producer, type QueueKey } from '@vaults/shared';
import type { EventKind } from './events';
import type { IndexerMetrics } from './metrics';

// Hands events to the project's Producer (validation, job id from the identity, retention).
// Resolves only when Redis accepted every one of them: the caller advances the cursor after.

export interface OutgoingEvent {
  kind: EventKind | string;
  payload: Record<string, unknown>;
}

const QUEUE_OF: Record<string, QueueKey> = {
  VaultDeployed: 'vault',
  TradeExecuted: 'trade',
  FollowerSubscribed: 'follower',
  FollowerUnsubscribed: 'follower',
};

/** The contract's reason when a payload would be rejected, or null when it is valid. */
export function payloadProblem(e: OutgoingEvent): string | null {
  const key = QUEUE_OF[e.kind];
  if (!key) return `unknown event kind ${e.kind}`;
  const parsed = parsePayload(key, e.kind, e.payload);
  return parsed.ok ? null : parsed.reason;
}

export async function enqueueAll(
  producer: Producer,
  events: OutgoingEvent[],
  concurrency: number,
  metrics: IndexerMetrics,
): Promise<void> {
  for (let i = 0; i < events.length; i += concurrency) {
    await Promise.all(events.slice(i, i + concurrency).map((e) => send(producer, e)));
  }
  for (const e of events) metrics.logsEnqueued.inc({ kind: e.kind, removed: String(e.payload.removed === true) });
}

function send(producer: Producer, e: OutgoingEvent) {
  const p = e.payload as never;
  switch (e.kind) {
    case 'VaultDeployed':
      return producer.vaultDeployed(p);
    case 'TradeExecuted':
      return producer.tradeExecuted(p);
    case 'FollowerSubscribed':
    case 'FollowerUnsubscribed':
      return producer.followerEvent(p);
    default:
      throw new Error(`unknown event kind ${e.kind}`);
  }
}
