import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A private registry per service: snake_case names, units in the name, help on every metric.
 * Every label takes its values from a set this code defines (queue and job names of QUEUES,
 * `unknown` for any other job name, the runner's reasons and causes, operations, job states),
 * never from a producer's string: the series count cannot grow with what producers send.
 */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });

  const jobLabels = ['queue', 'job_name'] as const;
  return {
    registry,
    jobsCompleted: new Counter({
      name: 'vaults_jobs_completed_total',
      help: 'Jobs whose effects were committed (or were already there: a redelivery).',
      labelNames: jobLabels,
      registers: [registry],
    }),
    jobsFailed: new Counter({
      name: 'vaults_jobs_failed_total',
      help: 'Jobs moved to the failed set, by reason: invalid (payload breaks the contract), unknown_job (job name not the queue\'s), conflicting_copy (differs from the recorded event), exhausted (retries used up).',
      labelNames: [...jobLabels, 'reason'],
      registers: [registry],
    }),
    jobsRetried: new Counter({
      name: 'vaults_jobs_retried_total',
      help: 'Jobs moved back to delayed for another attempt, by cause: vault not yet known, or a transient error.',
      labelNames: [...jobLabels, 'cause'],
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'vaults_job_processing_duration_seconds',
      help: 'Wall time from a job becoming active until its outcome is known.',
      labelNames: jobLabels,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    dbTransactionDuration: new Histogram({
      name: 'vaults_db_transaction_duration_seconds',
      help: 'Duration of database transactions, by operation (one transaction may serve a batch of jobs).',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'vaults_db_batch_size_jobs',
      help: 'Jobs that shared one database transaction (group commit).',
      labelNames: ['operation'],
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    eventLag: new Histogram({
      name: 'vaults_event_lag_seconds',
      help: 'Time from the block timestamp of an event until its effect was committed.',
      labelNames: ['queue'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 86400],
      registers: [registry],
    }),
    queueJobs: new Gauge({
      name: 'vaults_queue_jobs',
      help: 'Jobs in the queue by state, read from Redis at scrape time.',
      labelNames: ['queue', 'state'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

// ---- known label sets, exported at 0 from start-up ------------------------------------------
// increase()/rate() see a counter's first increment only once the series already exists: a series
// that appears at its first failure makes that failure invisible to the VaultsJobsFailing alert.

// The job processor's FailReason and RetryCause are these lists' types, so a reason it uses and
// these lists cannot differ (packages/shared/test/metrics-reasons.int.test.ts reads the reasons
// from the processor's code and finds each on a started worker's /metrics at 0).
export const FAILURE_REASONS = ['invalid', 'unknown_job', 'conflicting_copy', 'exhausted'] as const;
export const RETRY_CAUSES = ['not_ready', 'transient'] as const;

/** The `reason` label of vaults_jobs_failed_total: a closed set. */
export type FailReason = (typeof FAILURE_REASONS)[number];
/** The `cause` label of vaults_jobs_retried_total: a closed set. */
export type RetryCause = (typeof RETRY_CAUSES)[number];

/** Creates every known (queue, job name, reason/cause) series of the job counters at 0. */
export function initJobCounters(metrics: Metrics, queue: string, jobNames: readonly string[]): void {
  for (const job_name of jobNames) {
    metrics.jobsCompleted.inc({ queue, job_name }, 0);
    for (const reason of FAILURE_REASONS) metrics.jobsFailed.inc({ queue, job_name, reason }, 0);
    for (const cause of RETRY_CAUSES) metrics.jobsRetried.inc({ queue, job_name, cause }, 0);
  }
}

/** One labels object per job name, made once: the runner's per-job path allocates none. */
export function jobLabelSets(queue: string, jobNames: readonly string[]): Map<string, { queue: string; job_name: string }> {
  return new Map(jobNames.map((job_name) => [job_name, { queue, job_name }]));
}
