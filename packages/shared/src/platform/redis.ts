import IORedis, { type RedisOptions } from 'ioredis';

export type Redis = IORedis;

/**
 * Named by what a command does while Redis is down:
 * - wait: it waits for Redis to come back (maxRetriesPerRequest null). BullMQ workers block on
 *   Redis and must wait out outages, and so do a worker's own follow-up jobs (snapshot requests).
 * - fail-fast: it fails at once (no offline queue, one retry per request). An indexer's producer
 *   and a readiness probe must hear at once that Redis is down.
 * REDIS_URL may be redis:// or rediss:// (TLS) and may carry a user name and password.
 */
export type RedisProfile = 'wait' | 'fail-fast';

export function createRedis(url: string, profile: RedisProfile, extra: RedisOptions = {}): Redis {
  const base: RedisOptions =
    profile === 'wait'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
  // Reconnect forever with a capped back-off: an outage must not end the process.
  const retryStrategy = (times: number) => Math.min(200 * times, 5000);
  return new IORedis(url, { ...base, retryStrategy, lazyConnect: false, ...extra });
}
