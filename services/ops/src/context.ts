import {
  QUEUES,
  connectProducer,
  createDatabase,
  createLogger,
  redisTlsOptions,
  loadConfig,
  type Config,
  type Database,
  type Producer,
  type QueueKey,
  type Redis,
} from '@vaults/shared';

// What every command runs on: the services' own environment (DATABASE_URL, REDIS_URL,
// QUEUE_PREFIX, the TLS and direct-URL settings, all parsed by the shared schema), one small
// Postgres pool, one Redis connection and the queues through the platform's Producer (same
// prefixes, cluster hash tags and snapshot deduplication as the services).

export interface OpsContext {
  config: Config;
  db: Database;
  redis: Redis;
  producer: Producer;
  env: NodeJS.ProcessEnv;
  print(line: string): void;
  close(): Promise<void>;
}

export interface ContextOptions {
  /** Appended to queue names (tests); production queues have none. */
  queueSuffix?: string;
}

export function openContext(env: NodeJS.ProcessEnv, print: (line: string) => void, opts: ContextOptions = {}): OpsContext {
  const config = loadConfig(env, { concurrency: 1, metricsPort: 0 });
  // Connection problems go to stderr as JSON lines; the command's own output is stdout.
  const log = createLogger('vaults-ops', env.LOG_LEVEL ? config.logLevel : 'warn', { destination: process.stderr });
  const db = createDatabase(config.databaseUrl, 2, { log });
  // Commands wait for a Redis that is still connecting, but give up after a few attempts rather
  // than hang a Job: a command issued while it is down fails once its retries are spent.
  const queues = connectProducer({
    redisUrl: config.redisUrl,
    queuePrefix: config.queuePrefix,
    queueSuffix: opts.queueSuffix,
    profile: 'wait',
    redis: { ...redisTlsOptions(config.redisCaFile), maxRetriesPerRequest: 3, connectTimeout: 5000 },
    log,
  });
  const { redis, producer } = queues;
  return {
    config,
    db,
    redis,
    producer,
    env,
    print,
    async close() {
      await queues.close();
      await db.close();
    },
  };
}

export const QUEUE_KEYS = Object.keys(QUEUES) as QueueKey[];

/** The queue key of a queue name as the runbooks spell it (`TradeProcessingQueue`). */
export function queueKeyOf(name: string): QueueKey {
  const key = QUEUE_KEYS.find((k) => QUEUES[k].name === name);
  if (!key) throw new UsageError(`--queue ${JSON.stringify(name)}: one of ${QUEUE_KEYS.map((k) => QUEUES[k].name).join(', ')}`);
  return key;
}

/** A wrong command line: exit 2 with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
