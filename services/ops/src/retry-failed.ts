import { QUEUES } from '@vaults/shared';
import { queueKeyOf, type OpsContext } from './context';
import { failedJobs } from './failed-jobs';
import type { FailedJobReason } from './failure-reason';

// vaults-ops retry-failed: move failed jobs of one queue (optionally of one reason, at most N)
// back to waiting, their attempt counts reset, so the workers run them again as new. Retrying is
// safe by the contract: effects are keyed by the event identity, so a job whose effect somehow is
// already there completes without writing. What it is for: `exhausted` jobs after the cause is
// fixed (a vault deployed late, an outage longer than the retries); `invalid` or
// `conflicting_copy` jobs fail again unless the code that judged them changed.

export interface RetryOptions {
  queue: string;
  reason?: FailedJobReason;
  limit?: number;
  dryRun: boolean;
}

export interface RetryResult {
  queue: string;
  /** Jobs retried (or, with dryRun, that would be). */
  retried: number;
  /** Failed jobs of the queue left in the failed set (other reasons, or beyond the limit). */
  left: number;
  /** Jobs that left the failed set between the read and the retry (retention, another operator). */
  gone: number;
}

export async function retryFailed(ctx: OpsContext, opts: RetryOptions): Promise<RetryResult> {
  const key = queueKeyOf(opts.queue);
  const queue = ctx.producer.queue(key);
  // Read first, then retry: retrying while paging would shift the pages under the reader. Only
  // what the report needs is kept (not the jobs' payloads): a failed set may hold a week of jobs.
  const chosen: { id: string; name: string; reason: FailedJobReason; failedReason: string }[] = [];
  let total = 0;
  for await (const { job, reason } of failedJobs(queue)) {
    total++;
    if ((!opts.reason || reason === opts.reason) && (opts.limit === undefined || chosen.length < opts.limit)) {
      chosen.push({ id: job.id!, name: job.name, reason, failedReason: oneLine(job.failedReason) });
    }
  }
  const verb = opts.dryRun ? 'would retry' : 'retrying';
  ctx.print(`${verb} ${chosen.length} of ${total} failed job(s) on ${QUEUES[key].name}${opts.reason ? ` (reason ${opts.reason})` : ''}${opts.limit !== undefined ? ` (limit ${opts.limit})` : ''}`);
  let gone = 0;
  for (const { id, name, reason, failedReason } of chosen) {
    ctx.print(`  ${id} ${name} [${reason}] ${failedReason}`);
    if (opts.dryRun) continue;
    try {
      const job = await queue.getJob(id);
      if (!job) throw new Error('no longer in the queue');
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } catch (err) {
      // The job left the failed set since it was read (removed by retention or retried already).
      gone++;
      ctx.print(`    not retried: ${oneLine((err as Error).message)}`);
    }
  }
  const retried = chosen.length - gone;
  const result = { queue: QUEUES[key].name, retried, left: total - retried, gone };
  ctx.print(`summary: ${opts.dryRun ? 'dry run, nothing changed: ' : ''}${retried} ${opts.dryRun ? 'to retry' : 'retried'}, ${result.left} left failed${gone ? `, ${gone} gone before the retry` : ''}`);
  return result;
}

const oneLine = (s: string | undefined) => {
  const line = (s ?? '').replace(/\s+/g, ' ');
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
};
