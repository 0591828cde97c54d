import { InvalidPayloadError } from './errors';
import { eventJobId } from './identity';
import { parsePayload, type QueueKey } from './queues';

// The one door for an on-chain event's job: kind -> queue -> job name, the job id derived from
// the identity and the retention. The producer, the indexer, the testkit and the benchmarks all
// build their event jobs here, so none of them can drift from the others.

/** The chain's event kinds and the queue each one goes to (docs/CONTRACT.md "Queues"). */
export const EVENT_QUEUES = {
  VaultDeployed: 'vault',
  TradeExecuted: 'trade',
  FollowerSubscribed: 'follower',
  FollowerUnsubscribed: 'follower',
} as const satisfies Record<string, QueueKey>;

export type EventKind = keyof typeof EVENT_QUEUES;

/**
 * Retention of event jobs. No removeOnFail: how long a failed job stays is the consuming
 * worker's setting (FAILED_JOB_RETENTION_DAYS), which BullMQ applies to jobs that name none.
 */
export const EVENT_JOB_RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
} as const;

/** Where an event goes: its queue and job name. */
export interface EventRoute {
  queue: QueueKey;
  name: string;
}

/** An event's job as BullMQ's add / addBulk take it, with the queue it belongs on. */
export interface EventJob extends EventRoute {
  /** The payload as the contract's schema outputs it (validated, canonical, `removed` set). */
  data: Record<string, unknown>;
  opts: typeof EVENT_JOB_RETENTION & { jobId: string };
}

/**
 * The queue and job name of an event kind, or undefined for a kind that is not one. A follower
 * event's job name follows its action (the action decides; the name is informative).
 */
export function eventRoute(kind: string, payload: object): EventRoute | undefined {
  if (!Object.hasOwn(EVENT_QUEUES, kind)) return undefined;
  const queue = EVENT_QUEUES[kind as EventKind];
  const name = queue === 'follower' ? ((payload as { action?: unknown }).action === 'WITHDRAW' ? 'FollowerUnsubscribed' : 'FollowerSubscribed') : kind;
  return { queue, name };
}

/** The job of an event, or the contract's reason to reject it. */
export function prepareEventJob(kind: string, payload: unknown): EventJob | { problem: string } {
  const route = eventRoute(kind, typeof payload === 'object' && payload !== null ? payload : {});
  if (!route) return { problem: `unknown event kind ${JSON.stringify(String(kind)).slice(0, 100)}` };
  const parsed = parsePayload(route.queue, route.name, payload);
  if (!parsed.ok) return { problem: parsed.reason };
  const data = parsed.data as Record<string, unknown> & { chainId: number; blockHash: string; logIndex: number; removed: boolean };
  return { ...route, data, opts: { ...EVENT_JOB_RETENTION, jobId: eventJobId(route.name, data) } };
}

/** The job of an event; a payload the contract rejects throws InvalidPayloadError. */
export function eventJob(kind: EventKind, payload: unknown): EventJob {
  const job = prepareEventJob(kind, payload);
  if ('problem' in job) throw new InvalidPayloadError(job.problem);
  return job;
}

/** The jobs of many events, in order (the bulk form of eventJob). */
export function eventJobs(events: readonly { kind: EventKind; payload: unknown }[]): EventJob[] {
  return events.map((e) => eventJob(e.kind, e.payload));
}
