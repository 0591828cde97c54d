import type { RedisOptions } from 'ioredis';
import type { Logger } from './logger';
import { Producer } from './producer';
import { createRedis, type Redis, type RedisProfile } from './redis';

/** A program's own Redis connection and the Producer on it (the indexer, vaults-ops). */
export interface ProducerConnection {
  redis: Redis;
  producer: Producer;
  /** The queues, then the connection. */
  close(): Promise<void>;
}

export interface ProducerConnectionOptions {
  redisUrl: string;
  queuePrefix: string;
  /** Appended to queue names (tests, benchmarks); production queues have none. */
  queueSuffix?: string;
  profile: RedisProfile;
  /** More ioredis options (TLS, retries) for this program. */
  redis?: RedisOptions;
  /** Connection errors of Redis and of the queues are logged here, never printed by BullMQ. */
  log: Pick<Logger, 'warn'>;
}

export function connectProducer(opts: ProducerConnectionOptions): ProducerConnection {
  const redis = createRedis(opts.redisUrl, opts.profile, opts.redis);
  redis.on('error', (err: Error) => opts.log.warn({ err }, 'redis connection error'));
  const producer = new Producer({
    connection: redis,
    prefix: opts.queuePrefix,
    queueSuffix: opts.queueSuffix,
    readyTimeoutMs: 5000,
    onError: (err) => opts.log.warn({ err }, 'queue connection error'),
  });
  return {
    redis,
    producer,
    async close() {
      await producer.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
