import type { Cluster } from 'ioredis';

// Redis Cluster: the URL form that selects it, and the key prefix that shards the queues.
//
//   redis+cluster://[user:password@]host:port,host:port,...     (rediss+cluster:// for TLS)
//
// The hosts are seeds: ioredis asks any of them for the slot map and finds the rest itself, so
// one or two reachable nodes are enough (a managed cluster's configuration endpoint is one).

/** The schemes REDIS_URL accepts: standalone and cluster, plain and TLS. */
export const REDIS_URL_PATTERN = /^rediss?(\+cluster)?:\/\//;

export interface ClusterUrl {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

/** True for a `redis+cluster://` or `rediss+cluster://` URL. */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//.test(url);
}

/** Parses a cluster URL; throws (without echoing the URL: it may hold a password) when malformed. */
export function parseClusterUrl(url: string): ClusterUrl {
  const m = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?(?:[?#].*)?$/.exec(url);
  if (!m) throw new Error('a cluster URL is redis+cluster://[user:password@]host:port,host:port');
  const [, scheme, auth, hostList] = m;
  const nodes = hostList!.split(',').map((h) => {
    const hp = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(h.trim());
    if (!hp) throw new Error('each node of a cluster URL must be host:port');
    return { host: hp[1]!, port: Number(hp[2]) };
  });
  let username: string | undefined;
  let password: string | undefined;
  if (auth) {
    const i = auth.indexOf(':');
    username = decodeURIComponent(i < 0 ? auth : auth.slice(0, i)) || undefined;
    password = i < 0 ? undefined : decodeURIComponent(auth.slice(i + 1));
  }
  return { nodes, username, password, tls: scheme === 'rediss' };
}

/** Whether a cluster URL parses (config validation: the message names the variable, not the value). */
export function isValidClusterUrl(url: string): boolean {
  try {
    return parseClusterUrl(url).nodes.length > 0;
  } catch {
    return false;
  }
}

/** The cluster URL with its password replaced, safe to log. */
export function redactClusterUrl(url: string): string {
  return url.replace(/^(rediss?\+cluster:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

/** ioredis' own marker: a Cluster instance says isCluster = true, a standalone client false. */
export function isCluster(connection: { isCluster?: boolean }): connection is Cluster {
  return connection.isCluster === true;
}

/**
 * The BullMQ prefix of one queue. BullMQ names every key of a queue `<prefix>:<queue>:<suffix>`
 * and its Lua scripts touch several of them at once, which Redis Cluster allows only within one
 * hash slot. On a cluster, each queue therefore gets its own hash tag: `bull:{TradeProcessingQueue}`,
 * so one queue's keys share a slot and different queues hash to different slots (and can live
 * on different masters). A prefix that already has a tag (`{vaults}`) is kept as given: every
 * queue on one slot, one master. Standalone Redis keeps the prefix unchanged.
 */
export function queuePrefix(prefix: string, queue: string, cluster: boolean): string {
  if (!cluster || /\{[^}]+\}/.test(prefix)) return prefix;
  return `${prefix}:{${queue}}`;
}
