import type { DeployEv, FollowerEv, TradeEv } from './reference';

// Builders of valid events for tests, demos and benchmarks. Deterministic given their inputs.

export const hex = (n: number | bigint, digits: number) => '0x' + BigInt(n).toString(16).padStart(digits, '0');
export const addr = (n: number) => hex(n, 40);
export const txh = (n: number) => hex(n, 64);
/**
 * A block hash for tests: one per (blockNumber, branch). Branch 0 is the canonical chain; another
 * branch is a sibling block at the same height (a re-organisation).
 */
export const blockHashOf = (blockNumber: number, branch = 0) => hex((BigInt(branch) << 128n) + 0xb10c_0000_0000n + BigInt(blockNumber), 64);

let counter = 1_000_000;
/**
 * A new transaction, and a log index of its own: under contract version 2 an event is the log of
 * its block, so two events built with the same block number and no logIndex must not share one.
 */
const nextTx = () => ({ txHash: txh(++counter), logIndex: counter - 1_000_000 });

/** Defaults, then the overrides; the block hash follows the block number unless given. */
function withBlockHash<E extends { blockNumber: number; blockHash?: string }>(e: E): E & { blockHash: string } {
  return { ...e, blockHash: e.blockHash ?? blockHashOf(e.blockNumber) };
}

export function deploy(vault: number, leader: number, over: Partial<DeployEv> = {}): DeployEv {
  return withBlockHash({
    type: 'deploy' as const, chainId: 1, ...nextTx(), blockNumber: 1, blockTimestamp: 1_700_000_000,
    vaultAddress: addr(vault), leader: addr(leader), name: `Vault ${vault}`, baseAsset: addr(0xba5e), ...over,
  });
}

export function trade(vault: number, pnl: bigint | string, over: Partial<TradeEv> = {}): TradeEv {
  return withBlockHash({
    type: 'trade' as const, chainId: 1, ...nextTx(), blockNumber: 10, blockTimestamp: 1_700_000_100,
    vaultAddress: addr(vault), tokenIn: addr(0xaa), tokenOut: addr(0xbb), amountIn: '1000', amountOut: '990',
    pnl: String(pnl), ...over,
  });
}

export function follower(vault: number, who: number, action: 'DEPOSIT' | 'WITHDRAW', amount: bigint | string, over: Partial<FollowerEv> = {}): FollowerEv {
  return withBlockHash({
    type: 'follower' as const, chainId: 1, ...nextTx(), blockNumber: 5, blockTimestamp: 1_700_000_050,
    vaultAddress: addr(vault), followerAddress: addr(who), amount: String(amount), action, ...over,
  });
}
