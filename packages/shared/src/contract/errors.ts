import type { z } from 'zod';

/** The payload breaks docs/CONTRACT.md: fail at once, never retry, write nothing. */
export class InvalidPayloadError extends Error {
  override readonly name: string = 'InvalidPayloadError';
}

/**
 * A copy of an event that differs from the recorded one (docs/CONTRACT.md "Copies agree"): a
 * producer error, failed like an invalid payload; the message names the first differing field.
 */
export class ConflictingCopyError extends InvalidPayloadError {
  override readonly name: string = 'ConflictingCopyError';
}

/**
 * The event is valid but cannot take effect yet (its vault's VaultDeployed may be late).
 * The runner waits with back-off, whatever attempts the producer gave the job.
 */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';

  /**
   * `delayMs`: retry after this long instead of the back-off, for a short wait the handler expects
   * (a snapshot whose vault's lock writers hold); logged at debug, not info.
   */
  constructor(message: string, readonly delayMs?: number) {
    super(message);
  }
}

/** "field: message; other.field: message" — the reason names every offending field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(payload)'}: ${issue.message}`)
    .join('; ');
}
