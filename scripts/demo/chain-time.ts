import type { PublicClient } from 'viem';

// demo:chain mines its ~120 blocks within seconds of wall time; the vault series buckets chain
// time (block timestamps), so the demo spaces its blocks CHAIN_BLOCK_SECONDS apart (anvil's
// anvil_setBlockTimestampInterval): two hours by default, about ten days of history, so the
// leaderboard's 24 h / 7 d / all-time returns and the share-price chart show something.

export async function spreadChainTime(client: PublicClient, seconds = Number(process.env.DEMO_CHAIN_BLOCK_SECONDS ?? 7200)): Promise<void> {
  await client.request({ method: 'anvil_setBlockTimestampInterval' as never, params: [seconds] as never });
}
