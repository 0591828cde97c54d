import { z } from 'zod';
import { describeIssues } from './errors';
import {
  calculateSnapshotSchema,
  followerEventSchema,
  tradeExecutedSchema,
  vaultDeployedSchema,
} from './payloads';

/** The queues and job names of docs/CONTRACT.md ("Queues"), each job name with its payload schema. */
export const QUEUES = {
  vault: { name: 'VaultDeployedQueue', jobs: { VaultDeployed: vaultDeployedSchema } },
  trade: { name: 'TradeProcessingQueue', jobs: { TradeExecuted: tradeExecutedSchema } },
  follower: {
    name: 'FollowerEventQueue',
    jobs: { FollowerSubscribed: followerEventSchema, FollowerUnsubscribed: followerEventSchema },
  },
  snapshot: { name: 'SnapshotCalculationQueue', jobs: { CalculateSnapshot: calculateSnapshotSchema } },
} as const satisfies Record<string, { name: string; jobs: Record<string, z.ZodType> }>;

export type QueueKey = keyof typeof QUEUES;
export type JobNameOf<K extends QueueKey> = keyof (typeof QUEUES)[K]['jobs'] & string;
/** The payload of one job name of a queue, as its schema outputs it (what the handler receives). */
export type JobPayload<K extends QueueKey, N extends JobNameOf<K>> = z.output<(typeof QUEUES)[K]['jobs'][N]>;

/** Queue names as used in tests and benchmarks may carry a suffix; production uses none. */
export function queueName(key: QueueKey, suffix = ''): string {
  return QUEUES[key].name + suffix;
}

export type ParseResult =
  | { ok: true; jobName: string; data: Record<string, unknown> }
  | { ok: false; unknownJobName: boolean; reason: string };

/**
 * The schema of a job name of the queue, or undefined. Own properties only: a producer's job
 * named `constructor`, `__proto__` or `toString` must not find Object.prototype's member.
 */
export function schemaOf(key: QueueKey, jobName: unknown): z.ZodType | undefined {
  const jobs = QUEUES[key].jobs as Record<string, z.ZodType>;
  return typeof jobName === 'string' && Object.hasOwn(jobs, jobName) ? jobs[jobName] : undefined;
}

/** Whether a job name is one of the queue's (the closed set metric labels may take). */
export function isKnownJobName(key: QueueKey, jobName: unknown): jobName is string {
  return schemaOf(key, jobName) !== undefined;
}

/** Validate a job's payload against its job name's schema; the reason names each bad field. */
export function parsePayload(key: QueueKey, jobName: string, data: unknown): ParseResult {
  const schema = schemaOf(key, jobName);
  if (!schema) {
    const known = Object.keys(QUEUES[key].jobs).join(', ');
    // JSON.stringify: a name with quotes or line breaks cannot forge the rest of the reason.
    return { ok: false, unknownJobName: true, reason: `unknown job name ${JSON.stringify(String(jobName)).slice(0, 200)} on ${QUEUES[key].name} (expected ${known})` };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { ok: false, unknownJobName: false, reason: `invalid ${jobName} payload: ${describeIssues(parsed.error)}` };
  return { ok: true, jobName, data: parsed.data as Record<string, unknown> };
}
