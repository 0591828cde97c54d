import type { DeployEv, FollowerEv, TradeEv } from './reference';

// Builders of valid events for tests, demos and benchmarks. Deterministic given their inputs.

export const hex = (n: number | bigint, digits: number) => '0x' + BigInt(n).toString(16).padStart(digits, '0');
export const addr = (n: number) => hex(n, 40);
export const txh = (n: number) => hex(n, 64);

let counter = 1_000_000;
const nextTx = () => txh(++counter);

export function deploy(vault: number, leader: number, over: Partial<DeployEv> = {}): DeployEv {
  return {
    type: 'deploy', chainId: 1, txHash: nextTx(), logIndex: 0, blockNumber: 1, blockTimestamp: 1_700_000_000,
    vaultAddress: addr(vault), leader: addr(leader), name: `Vault ${vault}`, baseAsset: addr(0xba5e), ...over,
  };
}

export function trade(vault: number, pnl: bigint | string, over: Partial<TradeEv> = {}): TradeEv {
  return {
    type: 'trade', chainId: 1, txHash: nextTx(), logIndex: 0, blockNumber: 10, blockTimestamp: 1_700_000_100,
    vaultAddress: addr(vault), tokenIn: addr(0xaa), tokenOut: addr(0xbb), amountIn: '1000', amountOut: '990',
    pnl: String(pnl), ...over,
  };
}

export function follower(vault: number, who: number, action: 'DEPOSIT' | 'WITHDRAW', amount: bigint | string, over: Partial<FollowerEv> = {}): FollowerEv {
  return {
    type: 'follower', chainId: 1, txHash: nextTx(), logIndex: 0, blockNumber: 5, blockTimestamp: 1_700_000_050,
    vaultAddress: addr(vault), followerAddress: addr(who), amount: String(amount), action, ...over,
  };
}
