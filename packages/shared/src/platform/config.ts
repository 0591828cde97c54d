import { existsSync } from 'node:fs';
import { z } from 'zod';
import { REDIS_URL_PATTERN, isClusterUrl, isValidClusterUrl } from './redis-cluster';

// The environment, parsed once with a schema into a typed constant. A bad variable stops
// start-up with a message that names it.

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const redisUrl = z
  .string()
  .regex(REDIS_URL_PATTERN, 'must start with redis://, rediss://, redis+cluster:// or rediss+cluster://')
  .refine((url) => !isClusterUrl(url) || isValidClusterUrl(url), 'a cluster URL is redis+cluster://[user:password@]host:port,host:port');
const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://');

/** A CA certificate (PEM) mounted into the container: checked at start-up, read when connecting. */
const caFile = z.string().min(1).refine((f) => existsSync(f), 'no such file (the CA certificate, PEM, mounted where this names)');

/** The variables every program reads the same way (workers, Bull Board, the indexer): one schema each. */
export const ENV_FIELDS = {
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  /** The CA that signed a rediss:// server's certificate (createRedis reads it; docs/OPERATIONS.md). */
  REDIS_CA_FILE: caFile.optional(),
  QUEUE_PREFIX: z.string().min(1).default('bull'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export interface ServiceDefaults {
  concurrency: number;
  metricsPort: number;
}

export function configSchema(defaults: ServiceDefaults) {
  return z
    .object({
      ...ENV_FIELDS,
      // The pooled URL (PgBouncer in transaction mode is fine): the workers' transactions.
      DATABASE_URL: postgresUrl.default('postgresql://postgres@127.0.0.1:5432/vaults'),
      // A direct (not transaction-pooled) URL for session advisory locks: the indexer's writer lock
      // and rewind. Defaults to DATABASE_URL. Migrations have their own (MIGRATION_DATABASE_URL).
      DIRECT_DATABASE_URL: postgresUrl.optional(),
      // The CA that signed the Postgres server's certificate: added to both URLs as sslrootcert.
      DATABASE_CA_FILE: caFile.optional(),
      // How long failed jobs stay in a queue's failed set (for vaults-ops retry-failed) before
      // the worker that failed them removes them.
      FAILED_JOB_RETENTION_DAYS: intFrom(1, 3650).default(7),
      WORKER_CONCURRENCY: intFrom(1, 1000).default(defaults.concurrency),
      METRICS_PORT: intFrom(0, 65535).optional(),
      HEALTH_PORT: intFrom(0, 65535).optional(),
      METRICS_HOST: z.string().default('0.0.0.0'),
      SHUTDOWN_TIMEOUT_MS: intFrom(100, 600_000).default(25_000),
      DB_POOL_SIZE: intFrom(1, 200).default(10),
      // Named (prepared) statements in the workers' transactions (db.ts). 'off' for a transaction
      // pooler that does not keep them (PgBouncer before 1.21, or max_prepared_statements = 0).
      DB_PREPARED_STATEMENTS: z.enum(['on', 'off']).default('on'),
      BATCH_MAX_SIZE: intFrom(1, 5000).default(100),
      BATCH_MAX_WAIT_MS: intFrom(0, 10_000).default(5),
      RETRY_MAX_ATTEMPTS: intFrom(1, 1000).default(20),
      RETRY_BASE_DELAY_MS: intFrom(1, 3_600_000).default(1000),
      RETRY_MAX_DELAY_MS: intFrom(1, 86_400_000).default(60_000),
      SNAPSHOT_CHECKPOINT_EVERY: intFrom(1, 10_000_000).default(1000),
      // The vault series' bucket of chain time (docs/CONTRACT.md §9.1). Changing it on a database
      // with a series needs every vault recomputed from the origin (see the series migration).
      SERIES_BUCKET_SECONDS: intFrom(1, 31_536_000).default(3600),
      // The snapshot worker's sweep: every this many ms it asks again for the snapshot of each
      // vault whose snapshot-due mark is older than that (lock-protocol.ts, rule 6).
      SNAPSHOT_DUE_SWEEP_MS: intFrom(100, 3_600_000).default(5000),
      // How long a snapshot keeps trying its vault's lock, in one statement, while writers hold it,
      // before its job is re-queued (lock-protocol.ts, rule 5); 0: one try.
      SNAPSHOT_LOCK_POLL_MS: intFrom(0, 60_000).default(100),
      LOCK_DURATION_MS: intFrom(1000, 3_600_000).default(30_000),
      MAX_STALLED_COUNT: intFrom(0, 1000).default(10),
    })
    .transform((env) => ({
      redisUrl: env.REDIS_URL,
      redisCaFile: env.REDIS_CA_FILE,
      databaseUrl: withCaFile(env.DATABASE_URL, env.DATABASE_CA_FILE),
      directDatabaseUrl: withCaFile(env.DIRECT_DATABASE_URL ?? env.DATABASE_URL, env.DATABASE_CA_FILE),
      failedJobRetentionDays: env.FAILED_JOB_RETENTION_DAYS,
      queuePrefix: env.QUEUE_PREFIX,
      logLevel: env.LOG_LEVEL,
      concurrency: env.WORKER_CONCURRENCY,
      // METRICS_PORT and HEALTH_PORT name the same sidecar port; METRICS_PORT wins.
      metricsPort: env.METRICS_PORT ?? env.HEALTH_PORT ?? defaults.metricsPort,
      metricsHost: env.METRICS_HOST,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      dbPoolSize: env.DB_POOL_SIZE,
      dbPreparedStatements: env.DB_PREPARED_STATEMENTS === 'on',
      batchMaxSize: env.BATCH_MAX_SIZE,
      batchMaxWaitMs: env.BATCH_MAX_WAIT_MS,
      retry: {
        maxAttempts: env.RETRY_MAX_ATTEMPTS,
        baseDelayMs: env.RETRY_BASE_DELAY_MS,
        maxDelayMs: env.RETRY_MAX_DELAY_MS,
      },
      snapshotCheckpointEvery: env.SNAPSHOT_CHECKPOINT_EVERY,
      seriesBucketSeconds: env.SERIES_BUCKET_SECONDS,
      snapshotDueSweepMs: env.SNAPSHOT_DUE_SWEEP_MS,
      snapshotLockPollMs: env.SNAPSHOT_LOCK_POLL_MS,
      lockDurationMs: env.LOCK_DURATION_MS,
      maxStalledCount: env.MAX_STALLED_COUNT,
    }));
}

export type Config = z.output<ReturnType<typeof configSchema>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parse the environment; throws ConfigError naming each bad variable (never its value). */
export function loadConfig(env: NodeJS.ProcessEnv, defaults: ServiceDefaults): Config {
  return parseEnv(configSchema(defaults), env);
}

/** Parse an environment with a program's schema; a ConfigError names each bad variable, never its value. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/**
 * A Postgres URL that verifies the server against a mounted CA: node-postgres (and Prisma's pg
 * adapter, and every Client made from the URL, such as the indexer's lock) reads the CA from
 * `sslrootcert`. sslmode defaults to verify-full (node-postgres 8 treats `require` so anyway; with
 * sslrootcert it checks the chain but not the host name, as libpq's verify-ca). A URL that already
 * names sslrootcert keeps it.
 */
export function withCaFile(url: string, caFile: string | undefined): string {
  if (!caFile) return url;
  try {
    const u = new URL(url);
    if (!u.searchParams.has('sslrootcert')) u.searchParams.set('sslrootcert', caFile);
    if (!u.searchParams.has('sslmode')) u.searchParams.set('sslmode', 'verify-full');
    return u.toString();
  } catch {
    return url; // unparseable: the connection reports it
  }
}
