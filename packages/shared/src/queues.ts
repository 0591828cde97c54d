import { z } from 'zod';
import { describeIssues } from './errors';
import {
  calculateSnapshotSchema,
  followerEventSchema,
  tradeExecutedSchema,
  vaultDeployedSchema,
} from './payloads';

/** The queues and job names of CONTRACT.md ("Queues"), each job name with its payload schema. */
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
export type PayloadOf<K extends QueueKey> = z.output<(typeof QUEUES)[K]['jobs'][JobNameOf<K>]>;

/** Queue names as used in tests and benchmarks may carry a suffix; production uses none. */
export function queueName(key: QueueKey, suffix = ''): string {
  return QUEUES[key].name + suffix;
}

export type ParseResult = { ok: true; data: Record<string, unknown> } | { ok: false; reason: string };

/** Validate a job's payload against its job name's schema; the reason names each bad field. */
export function parsePayload(key: QueueKey, jobName: string, data: unknown): ParseResult {
  const schema = (QUEUES[key].jobs as Record<string, z.ZodType>)[jobName];
  if (!schema) {
    const known = Object.keys(QUEUES[key].jobs).join(', ');
    return { ok: false, reason: `unknown job name "${jobName}" on ${QUEUES[key].name} (expected ${known})` };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { ok: false, reason: `invalid ${jobName} payload: ${describeIssues(parsed.error)}` };
  return { ok: true, data: parsed.data as Record<string, unknown> };
}
