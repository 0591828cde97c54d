// demo:chain mines its ~120 blocks within seconds of wall time; the vault series buckets chain
// time (block timestamps), so the demo spaces its blocks DEMO_CHAIN_BLOCK_SECONDS apart (anvil's
// anvil_setBlockTimestampInterval): two hours by default, about ten days of history, so the
// leaderboard's 24 h / 7 d / all-time returns and the share-price chart show something.

export async function spreadChainTime(rpcUrl: string, seconds = Number(process.env.DEMO_CHAIN_BLOCK_SECONDS ?? 7200)): Promise<void> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setBlockTimestampInterval', params: [seconds] }),
  });
  const body = (await res.json()) as { error?: { message: string } };
  if (body.error) throw new Error(`anvil_setBlockTimestampInterval: ${body.error.message}`);
}
