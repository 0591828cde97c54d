// The reference model: docs/CONTRACT.md's "database state that must result", computed directly from
// the set of delivered events, written without looking at the processors. Tests compare the
// drained database with it.

export interface EventBase {
  chainId: number;
  txHash: string;
  logIndex: number;
  blockNumber: number;
  /** The hash of the log's block (contract version 2: part of the identity). */
  blockHash: string;
  blockTimestamp: number;
  removed?: boolean;
}
export interface DeployEv extends EventBase {
  type: 'deploy';
  vaultAddress: string;
  leader: string;
  name: string;
  baseAsset: string;
}
export interface TradeEv extends EventBase {
  type: 'trade';
  vaultAddress: string;
  tokenIn: string;
  tokenOut: string;
  amountIn: string;
  amountOut: string;
  pnl: string;
}
export interface FollowerEv extends EventBase {
  type: 'follower';
  vaultAddress: string;
  followerAddress: string;
  amount: string;
  action: 'DEPOSIT' | 'WITHDRAW';
}
export type AnyEvent = DeployEv | TradeEv | FollowerEv;

export interface ExpectedVault {
  status: 'ACTIVE' | 'REMOVED';
  leader: string;
  name: string;
  tvl: bigint;
  roi: number;
  drawdown: number;
}
export interface ExpectedState {
  users: Set<string>;
  /** by "chainId:address" */
  vaults: Map<string, ExpectedVault>;
  /** "chainId:blockHash:logIndex" (the event's identity) of every trade row */
  trades: Set<string>;
  /** "chainId:vault:follower" -> depositedAmount */
  subscriptions: Map<string, bigint>;
}

const lc = (s: string) => s.toLowerCase();
/** The identity (contract version 2): the log of one block. */
const idOf = (e: EventBase) => `${e.chainId}:${lc(e.blockHash)}:${e.logIndex}`;
/** Two events at one position (sibling blocks, in transit): by block hash, then follower event before trade (§11 rule 1). */
const tieBreak = (a: AnyEvent, b: AnyEvent) => (lc(a.blockHash) < lc(b.blockHash) ? -1 : lc(a.blockHash) > lc(b.blockHash) ? 1 : Number(a.type === 'trade') - Number(b.type === 'trade'));
const vaultOf = (e: { chainId: number; vaultAddress: string }) => `${e.chainId}:${lc(e.vaultAddress)}`;

export function expectedState(delivered: AnyEvent[]): ExpectedState {
  // Removal is final per identity, that is per block: the same transaction in a block of another
  // hash is another event.
  const removedIds = new Set(delivered.filter((e) => e.removed).map(idOf));
  const live = (e: AnyEvent) => !removedIds.has(idOf(e));
  // One entry per identity (duplicates collapse).
  const unique = [...new Map(delivered.map((e) => [idOf(e), e])).values()];

  const deploys = unique.filter((e): e is DeployEv => e.type === 'deploy');
  const vaultKeys = new Set(deploys.map(vaultOf));
  const users = new Set<string>();
  const vaults = new Map<string, ExpectedVault>();
  for (const key of vaultKeys) {
    const ds = deploys
      .filter((d) => vaultOf(d) === key)
      .sort((a, b) => Number(!live(a)) - Number(!live(b)) || a.blockNumber - b.blockNumber || a.logIndex - b.logIndex || tieBreak(a, b));
    const canonical = ds[0]!;
    for (const d of ds) users.add(lc(d.leader));
    vaults.set(key, {
      status: ds.some(live) ? 'ACTIVE' : 'REMOVED',
      leader: lc(canonical.leader),
      name: canonical.name,
      ...metricsFor(key, unique.filter(live)),
    });
  }

  const trades = new Set<string>();
  const balances = new Map<string, bigint>();
  for (const e of unique) {
    if (e.type === 'deploy' || !vaultKeys.has(vaultOf(e))) continue;
    if (e.type === 'follower') users.add(lc(e.followerAddress));
    if (!live(e)) continue;
    if (e.type === 'trade') trades.add(idOf(e));
    else {
      const k = `${vaultOf(e)}:${lc(e.followerAddress)}`;
      balances.set(k, (balances.get(k) ?? 0n) + (e.action === 'DEPOSIT' ? 1n : -1n) * BigInt(e.amount));
    }
  }
  const subscriptions = new Map([...balances].filter(([, b]) => b > 0n));
  return { users, vaults, trades, subscriptions };
}

/** docs/CONTRACT.md §9 rule 5 (vault metrics), transcribed on its own (deliberately not the snapshot worker's share-price.ts). */
function metricsFor(vaultKey: string, liveEvents: AnyEvent[]): { tvl: bigint; roi: number; drawdown: number } {
  const evs = liveEvents
    .filter((e): e is TradeEv | FollowerEv => e.type !== 'deploy' && vaultOf(e) === vaultKey)
    .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex || tieBreak(a, b));
  let E = 0n;
  let S = 1;
  let peak = 1;
  let maxDD = 0;
  for (const e of evs) {
    if (e.type === 'follower') {
      E = e.action === 'DEPOSIT' ? E + BigInt(e.amount) : E - BigInt(e.amount);
    } else {
      const p = BigInt(e.pnl);
      if (E > 0n) S = Math.max(0, S * (1 + Number(p) / Number(E)));
      E = E + p;
      peak = Math.max(peak, S);
      maxDD = Math.max(maxDD, 1 - S / peak);
    }
  }
  return { tvl: E > 0n ? E : 0n, roi: S - 1, drawdown: maxDD };
}
