import type { Job, Queue } from 'bullmq';
import { failureReasonOf, type FailedJobReason } from './failure-reason';

// The failed set, read in pages (oldest first): a failed set can hold a week of poison jobs, and
// one ZRANGE of all of them plus their hashes would be one huge reply.

const PAGE = 500;

export interface FailedJob {
  job: Job;
  reason: FailedJobReason;
}

export async function* failedJobs(queue: Queue): AsyncGenerator<FailedJob> {
  for (let start = 0; ; start += PAGE) {
    const page = await queue.getJobs(['failed'], start, start + PAGE - 1, true);
    for (const job of page) if (job) yield { job, reason: failureReasonOf(job.failedReason) };
    if (page.length < PAGE) return;
  }
}
