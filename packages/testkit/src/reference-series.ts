import type { AnyEvent, EventBase, FollowerEv, TradeEv } from './reference';

// The vault series of docs/CONTRACT.md §9.1, computed directly from the set of delivered events,
// written from the contract's text and not from the snapshot worker's series.ts: per vault and
// bucket of chain time, the state after the bucket's last event.

export interface ExpectedSeriesRow {
  bucketStart: number;
  sharePrice: number;
  tvl: bigint;
  cumulativePnl: bigint;
  netDeposits: bigint;
  maxDrawdown: number;
  followerCount: number;
  eventsFolded: number;
}

/** "chainId:vaultAddress" -> its rows in bucket order (a vault without live events: none). */
export type ExpectedSeries = Map<string, ExpectedSeriesRow[]>;

const lc = (s: string) => s.toLowerCase();
/** The identity (contract version 2): the log of one block. */
const idOf = (e: EventBase) => `${e.chainId}:${lc(e.blockHash)}:${e.logIndex}`;
const vaultOf = (e: { chainId: number; vaultAddress: string }) => `${e.chainId}:${lc(e.vaultAddress)}`;

export function expectedSeries(delivered: AnyEvent[], bucketSeconds: number): ExpectedSeries {
  const removed = new Set(delivered.filter((e) => e.removed).map(idOf));
  const unique = [...new Map(delivered.map((e) => [idOf(e), e])).values()];
  const vaults = new Set(unique.filter((e) => e.type === 'deploy').map(vaultOf));
  const byVault = new Map<string, (TradeEv | FollowerEv)[]>();
  for (const e of unique) {
    if (e.type === 'deploy' || removed.has(idOf(e)) || !vaults.has(vaultOf(e))) continue;
    byVault.set(vaultOf(e), [...(byVault.get(vaultOf(e)) ?? []), e]);
  }
  const out: ExpectedSeries = new Map();
  for (const v of vaults) out.set(v, seriesOf(byVault.get(v) ?? [], bucketSeconds));
  return out;
}

function seriesOf(events: (TradeEv | FollowerEv)[], bucketSeconds: number): ExpectedSeriesRow[] {
  // Position order; two events at one position (sibling blocks): by block hash, then follower event before trade (§11 rule 1).
  events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex
    || (lc(a.blockHash) < lc(b.blockHash) ? -1 : lc(a.blockHash) > lc(b.blockHash) ? 1 : Number(a.type === 'trade') - Number(b.type === 'trade')));
  let equity = 0n;
  let price = 1;
  let peak = 1;
  let drawdown = 0;
  let pnl = 0n;
  let deposits = 0n;
  let chainTime = -Infinity;
  const balances = new Map<string, bigint>();
  const byBucket = new Map<number, ExpectedSeriesRow>();
  events.forEach((e, i) => {
    // Chain time never goes back: the greatest block timestamp so far.
    chainTime = Math.max(chainTime, e.blockTimestamp);
    if (e.type === 'follower') {
      const signed = e.action === 'DEPOSIT' ? BigInt(e.amount) : -BigInt(e.amount);
      equity += signed;
      deposits += signed;
      balances.set(lc(e.followerAddress), (balances.get(lc(e.followerAddress)) ?? 0n) + signed);
    } else {
      const p = BigInt(e.pnl);
      if (equity > 0n) price = Math.max(0, price * (1 + Number(p) / Number(equity)));
      equity += p;
      pnl += p;
      peak = Math.max(peak, price);
      drawdown = Math.max(drawdown, 1 - price / peak);
    }
    const bucketStart = Math.floor(chainTime / bucketSeconds) * bucketSeconds;
    byBucket.set(bucketStart, {
      bucketStart, sharePrice: price, tvl: equity > 0n ? equity : 0n, cumulativePnl: pnl, netDeposits: deposits,
      maxDrawdown: drawdown, followerCount: [...balances.values()].filter((b) => b > 0n).length, eventsFolded: i + 1,
    });
  });
  return [...byBucket.values()];
}
