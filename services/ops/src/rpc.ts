import { createPublicClient, http } from 'viem';
import type { HeaderSource } from './block-at-time';

// The node, read with viem (as the indexer does): the head for status, headers for rewind --time.

function client(rpcUrl: string) {
  // cacheTime 0: viem caches eth_blockNumber for a few seconds otherwise.
  return createPublicClient({ transport: http(rpcUrl, { timeout: 15_000, retryCount: 3 }), cacheTime: 0 });
}

export async function rpcHead(rpcUrl: string): Promise<number> {
  return Number(await client(rpcUrl).getBlockNumber({ cacheTime: 0 }));
}

export function rpcHeaders(rpcUrl: string): HeaderSource {
  const c = client(rpcUrl);
  return {
    head: async () => Number(await c.getBlockNumber({ cacheTime: 0 })),
    timestampOf: async (n) => Number((await c.getBlock({ blockNumber: BigInt(n) })).timestamp),
  };
}
