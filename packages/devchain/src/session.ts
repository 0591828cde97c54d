import type { Hex } from 'viem';
import { prng } from '@vaults/testkit';
import type { DevChain } from './chain';

// A scripted trading session on the dev chain: vaults deployed by leaders, followers depositing
// and withdrawing (never more than they hold), trades with profits and losses, several
// transactions per block, over many blocks. Seeded: the same script for a seed.

export interface SessionOptions {
  seed?: number;
  vaults?: number;
  blocks?: number;
  /** Transactions per block, at most. */
  txsPerBlock?: number;
}

export interface SessionState {
  vaults: { address: Hex; leader: Hex }[];
  balances: Map<string, bigint>;
  rand: () => number;
}

const E18 = 10n ** 18n;

export async function deployVaults(chain: DevChain, count: number, from = 0): Promise<SessionState['vaults']> {
  await chain.setAutomine(false);
  const txs: { tx: Hex; leader: Hex }[] = [];
  for (let i = 0; i < count; i++) {
    const leader = chain.accounts[1 + ((from + i) % 5)]!;
    txs.push({ tx: await chain.deployVault(leader, `Vault ${from + i + 1}`), leader });
  }
  await chain.mine(1);
  return Promise.all(txs.map(async ({ tx, leader }) => ({ address: await chain.vaultOf(tx), leader })));
}

export function newSession(vaults: SessionState['vaults'], seed = 7): SessionState {
  return { vaults, balances: new Map(), rand: prng(seed) };
}

/** Mines `blocks` blocks of random deposits, withdrawals and trades on the session's vaults. */
export async function tradeBlocks(chain: DevChain, s: SessionState, blocks: number, txsPerBlock = 4): Promise<void> {
  await chain.setAutomine(false);
  const followers = chain.accounts.slice(6);
  const pick = <T>(xs: T[]) => xs[Math.floor(s.rand() * xs.length)]!;
  for (let b = 0; b < blocks; b++) {
    const n = 1 + Math.floor(s.rand() * txsPerBlock);
    for (let i = 0; i < n; i++) {
      const v = pick(s.vaults);
      const who = pick(followers);
      const key = `${v.address}:${who}`;
      const held = s.balances.get(key) ?? 0n;
      const roll = s.rand();
      if (roll < 0.35 || (roll < 0.5 && held === 0n)) {
        const amount = BigInt(1 + Math.floor(s.rand() * 1000)) * E18;
        s.balances.set(key, held + amount);
        await chain.deposit(v.address, who, amount);
      } else if (roll < 0.5) {
        const amount = held / BigInt(1 + Math.floor(s.rand() * 3));
        s.balances.set(key, held - amount);
        await chain.withdraw(v.address, who, amount);
      } else {
        // Profits and losses of up to a few percent of a typical vault's deposits, either sign.
        const pnl = BigInt(Math.floor((s.rand() - 0.4) * 100)) * E18;
        await chain.trade(v.address, v.leader, pnl);
      }
    }
    await chain.mine(1);
  }
}
