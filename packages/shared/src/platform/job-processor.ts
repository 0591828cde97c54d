import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { ConflictingCopyError, InvalidPayloadError, QUEUES, RetryLaterError, isKnownJobName, parsePayload, type QueueKey } from '../contract';
import type { Config } from './config';
import { LazyJobContext, type Logger } from './logger';
import { jobLabelSets, type FailReason, type Metrics, type RetryCause } from './metrics';
import { redactSecrets, redactedMessage } from './redact';
import { retryDelayMs } from './retry';
import type { Handler, ServiceDefinition } from './service-definition';

// What happens to one job, between BullMQ handing it over and BullMQ hearing the result: the
// payload validated against its job name's schema, the handler called, and every outcome
// classified (docs/CONTRACT.md §5): a bad payload or a conflicting copy fails at once
// (UnrecoverableError, reason label), a vault not known yet or a transient error is retried
// with back-off until RETRY_MAX_ATTEMPTS (moveToDelayed + DelayedError), then fails as exhausted.
// The runner (runner.ts) builds one per service and hands it to the worker lanes.

/** The `job_name` label of every job whose name is not one of its queue's. */
export const UNKNOWN_JOB_NAME = 'unknown';

export interface JobProcessorParts<K extends QueueKey, Deps> {
  def: ServiceDefinition<K, Deps>;
  deps: Deps;
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** The queue's name as the worker sees it (with a test suffix, if any). */
  queue: string;
  /** Called when a job succeeded, just before BullMQ completes it (tick-writes.ts). */
  beforeComplete?: () => void;
}

export function createJobProcessor<K extends QueueKey, Deps>({ def, deps, config, log, metrics, queue, beforeComplete }: JobProcessorParts<K, Deps>) {
  // Label values come only from sets this code defines: a producer's job name is a label only
  // when it is one of the queue's, every other name is `unknown` (one series, not one per name).
  const queueLabel = QUEUES[def.queue].name;
  const labelsByName = jobLabelSets(queueLabel, [...Object.keys(QUEUES[def.queue].jobs), UNKNOWN_JOB_NAME]);
  const lagLabels = { queue: queueLabel };

  return async (job: Job, token?: string): Promise<void> => {
    const labels = labelsByName.get(isKnownJobName(def.queue, job.name) ? job.name : UNKNOWN_JOB_NAME)!;
    const startedAt = performance.now();
    const observeDuration = () => metrics.jobDuration.observe(labels, (performance.now() - startedAt) / 1000);
    const parsed = parsePayload(def.queue, job.name, job.data);
    const ctx = new LazyJobContext(log, queue, job.id, parsed.ok ? parsed.data : undefined, job.attemptsStarted);
    const fail = (reason: FailReason, text: string): never => {
      const message = redactSecrets(text); // a failed job's reason is served (Bull Board, ops CLI)
      metrics.jobsFailed.inc({ ...labels, reason });
      observeDuration();
      ctx.log.warn({ reason }, message);
      throw new UnrecoverableError(message);
    };
    if (!parsed.ok) return fail(parsed.unknownJobName ? 'unknown_job' : 'invalid', parsed.reason);
    // parsePayload checked the job name and validated the payload with that name's schema: the
    // handler's payload type (Handlers) is what it receives.
    const handlers = def.handlers as Record<string, Handler<unknown, Deps>>;
    const handler = Object.hasOwn(handlers, parsed.jobName) ? handlers[parsed.jobName] : undefined;
    if (!handler) return fail('unknown_job', `no handler for job name ${JSON.stringify(parsed.jobName)} on ${queueLabel}`);
    try {
      await handler(parsed.data, deps, ctx);
    } catch (err) {
      const message = redactedMessage(err);
      if (err instanceof ConflictingCopyError) return fail('conflicting_copy', message);
      if (err instanceof InvalidPayloadError) return fail('invalid', message);
      const attempt = job.attemptsStarted;
      if (attempt >= config.retry.maxAttempts) return fail('exhausted', `gave up after ${attempt} attempts: ${message}`);
      const soon = err instanceof RetryLaterError ? err.delayMs : undefined;
      const delay = soon ?? retryDelayMs(attempt, config.retry);
      const cause: RetryCause = err instanceof RetryLaterError ? 'not_ready' : 'transient';
      ctx.log[cause === 'transient' ? 'warn' : soon === undefined ? 'info' : 'debug']({ attempt, delay, cause }, `retrying later: ${message}`);
      await job.moveToDelayed(Date.now() + delay, token);
      metrics.jobsRetried.inc({ ...labels, cause });
      observeDuration();
      throw new DelayedError();
    }
    metrics.jobsCompleted.inc(labels);
    observeDuration();
    beforeComplete?.();
    const ts = (parsed.data as { blockTimestamp?: number }).blockTimestamp;
    if (typeof ts === 'number') metrics.eventLag.observe(lagLabels, Math.max(0, Date.now() / 1000 - ts));
  };
}
