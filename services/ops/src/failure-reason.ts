import { FAILURE_REASONS, type FailReason } from '@vaults/shared';

// A failed job's reason label, read back from its failedReason. The job processor fails a job
// with a message whose form docs/CONTRACT.md fixes (§5): "gave up after N attempts: …"
// (exhausted), "unknown job name …" / "no handler for job name …" (unknown_job),
// "<field>: conflicting copy of event …" (conflicting_copy); anything else it fails is invalid.
// BullMQ itself fails a job too (stalled more often than MAX_STALLED_COUNT): that is `other`.

export type FailedJobReason = FailReason | 'other';

export const FAILED_JOB_REASONS: readonly FailedJobReason[] = [...FAILURE_REASONS, 'other'];

const BY_FORM: [RegExp, FailReason][] = [
  [/^gave up after \d+ attempts: /, 'exhausted'],
  [/^(unknown job name |no handler for job name )/, 'unknown_job'],
  [/^[\w.]+: conflicting copy of event /, 'conflicting_copy'],
];

/** Messages BullMQ fails a job with on its own (not through the job processor). */
const BULLMQ_OWN = [/stalled more than allowable limit/i, /^job stalled/i, /lock mismatch/i, /missing lock/i];

export function failureReasonOf(failedReason: string | undefined): FailedJobReason {
  const message = failedReason ?? '';
  for (const [form, reason] of BY_FORM) if (form.test(message)) return reason;
  if (!message || BULLMQ_OWN.some((r) => r.test(message))) return 'other';
  return 'invalid';
}

export function isFailedJobReason(value: string): value is FailedJobReason {
  return (FAILED_JOB_REASONS as readonly string[]).includes(value);
}
