import IORedis, { type RedisOptions } from 'ioredis';

export type Redis = IORedis;

/**
 * - worker: BullMQ workers block on Redis and must wait out outages: maxRetriesPerRequest null.
 * - producer: an indexer (or a readiness probe) must hear at once that Redis is down, not queue
 *   commands in memory: no offline queue, one retry per request.
 * REDIS_URL may be redis:// or rediss:// (TLS) and may carry a user name and password.
 */
export type RedisProfile = 'worker' | 'producer';

export function createRedis(url: string, profile: RedisProfile, extra: RedisOptions = {}): Redis {
  const base: RedisOptions =
    profile === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
  // Reconnect forever with a capped back-off: an outage must not end the process.
  const retryStrategy = (times: number) => Math.min(200 * times, 5000);
  return new IORedis(url, { ...base, retryStrategy, lazyConnect: false, ...extra });
}
