import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from './config';
import { createDatabase } from './db';
import { createLogger, type Logger } from './logger';
import { runDaemon } from './daemon';
import { createMetrics, initJobCounters } from './metrics';
import { Producer } from './producer';
import { QUEUES, queueName, type QueueKey } from '../contract';
import { createRedis, redisTlsOptions, type Redis } from './redis';
import { isCluster, queuePrefix } from './redis-cluster';
import { createSidecar } from './sidecar';
import { createJobProcessor } from './job-processor';
import { serviceInfo } from './services';
import type { Infra, ServiceDefinition } from './service-definition';
import { WorkerLanes } from './worker-lanes';
import { startPeriodic } from './periodic';
import { tickWrites } from './tick-writes';

// Starts a service and stops it: connections, the sidecar (Fastify), the worker lanes and
// shutdown. A service hands it a definition (service-definition.ts): its queue, a handler per job
// name (typed from the queue catalog), and how to build its dependencies. What happens to one job
// (validation, dispatch, fail or retry) is job-processor.ts; the lanes of BullMQ Workers are
// worker-lanes.ts. BullMQ is known only inside platform/ (tests/architecture checks it).

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Appended to queue names: each test or benchmark run gets queues of its own. */
  queueSuffix?: string;
  /** Called once the sidecar listens (before the worker is ready), with its bound port. */
  onListening?(port: number): void;
}

export interface RunningService {
  config: Config;
  worker: WorkerLanes;
  sidecar: FastifyInstance;
  /** The sidecar's bound port (useful when METRICS_PORT=0). */
  port: number;
  close(): Promise<void>;
}

/** Start-up fails if a job name of the queue has no handler, or a handler names no job. */
export function checkHandlers(def: { queue: QueueKey; handlers: object }): void {
  const handlers = def.handlers as Record<string, unknown>;
  const expected = Object.keys(QUEUES[def.queue].jobs);
  const missing = expected.filter((n) => !Object.hasOwn(handlers, n));
  const unknown = Object.keys(handlers).filter((n) => !expected.includes(n));
  if (missing.length) throw new Error(`${QUEUES[def.queue].name}: no handler for job name(s) ${missing.join(', ')}`);
  if (unknown.length) throw new Error(`${QUEUES[def.queue].name}: handler(s) for unknown job name(s) ${unknown.join(', ')}`);
}

export async function startService<K extends QueueKey, Deps>(def: ServiceDefinition<K, Deps>, opts: StartOptions = {}): Promise<RunningService> {
  checkHandlers(def);
  const info = serviceInfo(def.name);
  if (!info || info.queue !== def.queue) throw new Error(`${def.name}: SERVICES lists it on queue ${info?.queue}, its definition on ${def.queue}`);
  const config = loadConfig(opts.env ?? process.env, { concurrency: info.concurrency, metricsPort: info.port });
  const log = createLogger(def.name, config.logLevel);
  const metrics = createMetrics(def.name);
  initJobCounters(metrics, QUEUES[def.queue].name, Object.keys(QUEUES[def.queue].jobs));
  const queue = queueName(def.queue, opts.queueSuffix);

  const tls = redisTlsOptions(config.redisCaFile);
  const workerRedis = createRedis(config.redisUrl, 'wait', tls);
  const producerRedis = createRedis(config.redisUrl, 'wait', tls);
  const probeRedis = createRedis(config.redisUrl, 'fail-fast', tls);
  for (const r of [workerRedis, producerRedis, probeRedis]) {
    r.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
  }
  const db = createDatabase(config.databaseUrl, config.dbPoolSize, { log, prepared: config.dbPreparedStatements });
  // An ioredis error carries its command's arguments, AUTH passwords included: the logger redacts
  // err.command (createLogger).
  const onQueueError = (err: Error) => log.warn({ err }, 'queue connection error');
  const producer = new Producer({
    connection: producerRedis,
    prefix: config.queuePrefix,
    queueSuffix: opts.queueSuffix,
    failFast: false,
    onError: onQueueError,
  });
  const probeProducer = new Producer({
    connection: probeRedis,
    prefix: config.queuePrefix,
    queueSuffix: opts.queueSuffix,
    onError: onQueueError,
  });
  const infra: Infra = { config, db, log, metrics, producer };
  const deps = def.createDeps(infra);

  // The completions of a committed batch's jobs leave in one socket write (tick-writes.ts).
  const processJob = createJobProcessor({ def, deps, config, log, metrics, queue, beforeComplete: tickWrites(workerRedis) });

  const worker = new WorkerLanes(queue, processJob, {
    connection: workerRedis,
    prefix: queuePrefix(config.queuePrefix, queue, isCluster(workerRedis)),
    concurrency: config.concurrency,
    lockDuration: config.lockDurationMs,
    // Renew every lock at least every quarter of its duration (BullMQ's default: every half), so a
    // live worker keeps its jobs through an event-loop stall or a slow Redis of up to 3/4 of
    // LOCK_DURATION_MS, not 1/2 (docs/DEPLOYMENT.md, VaultsEventLoopLagHigh).
    lockRenewTime: config.lockDurationMs / 4,
    stalledInterval: config.lockDurationMs,
    maxStalledCount: config.maxStalledCount,
    // Failed jobs that name no retention of their own (the producers' jobs name none) stay this
    // long for vaults-ops retry-failed, then go.
    removeOnFail: { age: config.failedJobRetentionDays * 24 * 3600 },
    autorun: false,
  });
  worker.onError((err) => log.error({ err }, 'worker error'));

  let closing = false;
  const sidecar = createSidecar({
    registry: metrics.registry,
    isAlive: () => closing || !worker.closing,
    checks: {
      redis: async () => {
        await probeRedis.ping();
      },
      database: async () => {
        await db.ping();
      },
      worker: async () => {
        if (closing) throw new Error('shutting down');
        if (!worker.isRunning()) throw new Error('worker is not running');
      },
    },
    beforeScrape: async () => {
      const counts = await probeProducer.queue(def.queue).getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'completed');
      for (const [state, n] of Object.entries(counts)) metrics.queueJobs.set({ queue: QUEUES[def.queue].name, state }, n);
    },
  });
  await sidecar.listen({ port: config.metricsPort, host: config.metricsHost }).catch((err: NodeJS.ErrnoException) => {
    // Say which setting to change: the bare EADDRINUSE names neither the variable nor a way out.
    if (err.code !== 'EADDRINUSE') throw err;
    throw new Error(`METRICS_PORT ${config.metricsPort} is already in use on ${config.metricsHost} (another worker or \`pnpm start\`?): set METRICS_PORT to a free port, or 0 for any free port`);
  });
  const address = sidecar.server.address();
  const port = typeof address === 'object' && address ? address.port : config.metricsPort;
  opts.onListening?.(port);

  const running = worker.run().catch((err: unknown) => log.error({ err }, 'worker loop ended'));
  await worker.waitUntilReady();
  log.info({ queue, concurrency: config.concurrency, lanes: worker.lanes.length, port, prefix: config.queuePrefix }, `${def.name} started`);
  // Say so at once when the database cannot be used (wrong password, unreachable), rather than
  // only through /readyz; the worker keeps running and its jobs retry until it can.
  db.ping().catch((err: Error) =>
    log.warn({ err }, 'database not usable at start-up; jobs will retry until it is'),
  );
  await def.onStarted?.(deps, infra).catch((err: unknown) => log.warn({ err }, 'start-up step failed; the next start tries again'));
  const periodic = def.periodic && startPeriodic(def.periodic.intervalMs(config), () => def.periodic!.run(deps, infra), (err) => log.warn({ err }, 'periodic step failed; the next run tries again'));

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      closing = true;
      log.info('shutting down: no new jobs, finishing active ones');
      await periodic?.stop();
      await closeWorker(worker, config.shutdownTimeoutMs, log);
      await running;
      await def.closeDeps?.(deps);
      await producer.close();
      await probeProducer.close();
      await sidecar.close();
      await Promise.all([workerRedis, producerRedis, probeRedis].map(quit));
      await db.close();
      log.info('stopped');
    })());

  return { config, worker, sidecar, port, close };
}

async function closeWorker(worker: WorkerLanes, timeoutMs: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([worker.close().then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    log.warn({ timeoutMs }, 'active jobs did not finish in time; they will be redelivered');
    await worker.close(true);
  }
}

async function quit(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/** The whole main of a service: start, stop cleanly on SIGTERM/SIGINT, exit 0 (runDaemon). */
export function runMain<K extends QueueKey, Deps>(def: ServiceDefinition<K, Deps>): void {
  // With METRICS_PORT=0 a supervisor learns the port here, before readiness (which may never
  // come: a wrong Redis password), so it can still read /readyz.
  const onListening = (port: number) => {
    if (process.send && process.connected) process.send({ listening: def.name, pid: process.pid, port });
  };
  runDaemon(def.name, () => startService(def, { onListening }));
}
