import { isCluster, type Redis } from '@vaults/shared';

/** Deletes every Redis key under `${prefix}:` (a run's own prefix only), on every master of a cluster. */
export async function unlinkPrefix(redis: Redis, prefix: string): Promise<void> {
  for (const node of isCluster(redis) ? redis.nodes('master') : [redis]) await unlinkOn(node, prefix);
}

async function unlinkOn(redis: Exclude<Redis, { isCluster: true }>, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    // One UNLINK per key, pipelined: on a cluster the keys of one page may lie in different slots.
    if (keys.length) await keys.reduce((p, key) => p.unlink(key), redis.pipeline()).exec();
  } while (cursor !== '0');
}
