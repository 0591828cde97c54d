import type { JobNameOf, JobPayload, QueueKey } from '../contract';
import type { Config } from './config';
import type { Database } from './db';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { Producer } from './producer';
import type { ServiceName } from './services';

// What a service is: a definition the runner (runner.ts) starts and the job processor
// (job-processor.ts) dispatches to. Its own file so that both import it and neither imports the other.

export interface JobContext {
  log: Logger;
  jobId: string | undefined;
  /** This run of the job: 1 first, then one more per retry (BullMQ's attemptsStarted). */
  attempt: number;
}

/** A handler of one job name: its payload is the output of that job name's schema. */
export type Handler<P, Deps> = (payload: P, deps: Deps, ctx: JobContext) => Promise<void>;

/**
 * Exactly one handler per job name of the queue, each typed by its schema: a missing handler,
 * a handler for a job name the queue does not have (in an object literal) or a handler whose
 * payload type does not match is a compile error; checkHandlers repeats the first two at start-up.
 */
export type Handlers<K extends QueueKey, Deps> = { [N in JobNameOf<K>]: Handler<JobPayload<K, N>, Deps> };

export interface Infra {
  config: Config;
  /** The database: node-postgres transactions and single statements (no Prisma client). */
  db: Database;
  log: Logger;
  metrics: Metrics;
  /** Enqueues follow-up jobs (snapshots) on this service's queues (same prefix and suffix). */
  producer: Producer;
}

export interface ServiceDefinition<K extends QueueKey, Deps> {
  /** One of SERVICES (services.ts), which gives its default port and concurrency. */
  name: ServiceName;
  queue: K;
  handlers: Handlers<K, Deps>;
  createDeps(infra: Infra): Deps;
  /**
   * At every start of every replica, once its worker takes jobs and before start-up returns: what
   * a service asks of itself (the snapshot worker's requests for vaults marked to recompute). It
   * must be idempotent across replicas; a failure is logged and start-up goes on (the next start
   * tries again).
   */
  onStarted?(deps: Deps, infra: Infra): Promise<void>;
  /**
   * What a service repeats while it runs (the snapshot worker's sweep of snapshot-due marks):
   * `run` every `intervalMs(config)` after the previous run ended, from the end of start-up until
   * shutdown, which cancels the next run and waits for one under way before closeDeps. It must be
   * idempotent across replicas; a failure is logged and the next run tries again.
   */
  periodic?: { intervalMs(config: Config): number; run(deps: Deps, infra: Infra): Promise<void> };
  /** Flush and close what createDeps opened; runs after the worker has stopped. */
  closeDeps?(deps: Deps): Promise<void>;
}

/** Any service definition (the runner and the harness do not care which queue). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the deps type is the service's own business
export type AnyServiceDefinition = ServiceDefinition<QueueKey, any>;

/** A service definition, checked against the catalog (see Handlers); returns it unchanged. */
export function defineService<K extends QueueKey, Deps>(def: ServiceDefinition<K, Deps>): ServiceDefinition<K, Deps> {
  return def;
}
