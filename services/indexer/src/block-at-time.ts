import { createLogger } from '@vaults/shared';
import type { IndexerConfig } from './config';
import { createIndexerMetrics } from './metrics';
import { createChainReader, type ChainReader } from './rpc';

// "Rewind to 14:00": the highest block whose timestamp is at or before a time, found by binary
// search over the node's headers (about log2(head) calls; timestamps never decrease along a chain).

/** The highest block with timestamp <= `unixSeconds`, or null when even `from` is later. */
export async function findBlockAtTime(chain: ChainReader, unixSeconds: number, from = 0): Promise<number | null> {
  const timeOf = async (n: number) => {
    const b = await chain.block(n);
    if (!b) throw new Error(`the node has no block ${n} below its head`);
    return Number(b.timestamp);
  };
  let lo = from;
  let hi = await chain.blockNumber();
  if ((await timeOf(lo)) > unixSeconds) return null;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((await timeOf(mid)) <= unixSeconds) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** findBlockAtTime with the indexer's environment (RPC_URL...), from START_BLOCK; for the ops CLI. */
export async function blockAtTime(config: IndexerConfig, unixSeconds: number): Promise<number | null> {
  const log = createLogger('indexer-rewind', config.logLevel);
  const chain = createChainReader(config.chain, createIndexerMetrics('indexer-block-at-time'), log);
  return findBlockAtTime(chain, unixSeconds, config.chain.startBlock);
}
