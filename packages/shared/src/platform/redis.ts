import { readFileSync } from 'node:fs';
import IORedis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { isClusterUrl, parseClusterUrl } from './redis-cluster';

/** A standalone client or a Redis Cluster client: BullMQ takes either. */
export type Redis = IORedis | Cluster;

/**
 * Named by what a command does while Redis is down:
 * - wait: it waits for Redis to come back (maxRetriesPerRequest null). BullMQ workers block on
 *   Redis and must wait out outages, and so do a worker's own follow-up jobs (snapshot requests).
 * - fail-fast: it fails at once (no offline queue, one retry per request). An indexer's producer
 *   and a readiness probe must hear at once that Redis is down.
 * REDIS_URL may be redis:// or rediss:// (TLS) and may carry a user name and password; the form
 * redis+cluster://host:port,host:port (rediss+cluster:// for TLS) selects Redis Cluster.
 */
export type RedisProfile = 'wait' | 'fail-fast';

// Reconnect forever with a capped back-off: an outage must not end the process.
const retryStrategy = (times: number) => Math.min(200 * times, 5000);

/**
 * `extra.tls` wins; otherwise a rediss:// URL verifies the server against the CA in REDIS_CA_FILE
 * when set (a managed Redis whose CA is not a public one), read here so that every program that
 * connects (workers, indexer, rewind, Bull Board, vaults-ops) trusts the same CA.
 */
export function createRedis(url: string, profile: RedisProfile, extra: RedisOptions = {}, env: NodeJS.ProcessEnv = process.env): Redis {
  const base: RedisOptions =
    profile === 'wait'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
  const tls = extra.tls === undefined && /^rediss(\+cluster)?:\/\//i.test(url) ? redisTlsOptions(env.REDIS_CA_FILE) : {};
  if (isClusterUrl(url)) return createCluster(url, base, { ...tls, ...extra });
  return new IORedis(url, { ...base, retryStrategy, lazyConnect: false, ...tls, ...extra });
}

/** ioredis options that trust the CA in caFile (PEM) for TLS; none without one. */
export function redisTlsOptions(caFile: string | undefined): RedisOptions {
  return caFile ? { tls: { ca: readFileSync(caFile) } } : {};
}

function createCluster(url: string, base: RedisOptions, extra: RedisOptions): Cluster {
  const { nodes, username, password, tls } = parseClusterUrl(url);
  // The offline queue and the retry strategy are the cluster's options, not each node's.
  const { enableOfflineQueue, retryStrategy: extraRetry, lazyConnect, ...rest } = { ...base, ...extra };
  const nodeOptions = { ...rest, username, password, ...(tls ? { tls: rest.tls ?? {} } : {}) };
  const options: ClusterOptions = {
    redisOptions: nodeOptions,
    enableOfflineQueue: enableOfflineQueue ?? true,
    clusterRetryStrategy: extraRetry === undefined ? retryStrategy : extraRetry,
    lazyConnect: lazyConnect ?? false,
    enableReadyCheck: true,
    // A fail-over moves slots: retry a command on a node that went away after a short pause
    // (the slot map is refreshed meanwhile) rather than failing it at once.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    // TLS certificates name the hosts, but the slot map lists IP addresses: keep the names
    // (what managed clusters such as ElastiCache and Memorystore need).
    ...(tls ? { dnsLookup: ((address, done) => done(null, address)) satisfies ClusterOptions['dnsLookup'] } : {}),
  };
  return new Cluster(nodes, options);
}
