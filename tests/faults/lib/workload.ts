import type { AnyEvent, DeployEv, FollowerEv, TradeEv } from '@vaults/testkit';
import { blockHashOf, prng } from '@vaults/testkit';

// A generated event stream: deterministic for a seed. Vaults with deposits, withdrawals
// (sometimes more than the balance), trades with profits and losses sized against the equity,
// amounts past 2^53, mixed-case hex, long unicode names; then duplicates and removals (before
// and after their event), and a delivery order that is only roughly chronological.

export type Rand = () => number;

export { prng };

export const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function hexDigits(r: Rand, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)]!;
  return s;
}
/** Any letter case is valid on input; the workers must store lower case. */
function mixCase(r: Rand, hex: string): string {
  return r() < 0.15 ? hex.toUpperCase().replace(/^0X/, '0x') : hex;
}
export const randomAddress = (r: Rand) => '0x' + hexDigits(r, 40);
export const randomHash = (r: Rand) => '0x' + hexDigits(r, 64);

/** A random bigint in [lo, hi). */
function bigBetween(r: Rand, lo: bigint, hi: bigint): bigint {
  const span = hi - lo;
  let x = 0n;
  for (let i = 0; i < 5; i++) x = (x << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  return lo + (x % span);
}

const NAMES = ['Alpha', 'Delta-neutral ETH', 'Basis 🚀', 'Ünïcödé vault', 'Momentum', '套利'];

function vaultName(r: Rand, i: number): string {
  if (r() < 0.1) return '🦄'.repeat(100); // 100 code points, 200 UTF-16 units: still valid
  return `${pick(r, NAMES)} #${i}`;
}

export interface WorkloadOptions {
  seed: number;
  vaults: number;
  /** Trades and follower events per vault (on average). */
  eventsPerVault: number;
  dupRate?: number;
  removeRate?: number;
  /** Share of vaults whose deploy is removed by a re-organisation. */
  deployRemoveRate?: number;
  chains?: number[];
}

export interface Workload {
  /** Distinct events (the original of each identity), in chain order. */
  events: AnyEvent[];
  /** What is delivered, in delivery order: events, duplicates, removal copies. */
  deliveries: AnyEvent[];
}

export function generate(o: WorkloadOptions): Workload {
  const r = prng(o.seed);
  const chains = o.chains ?? [1, 10];
  const events: AnyEvent[] = [];
  const followersPool = Array.from({ length: Math.max(4, o.vaults * 2) }, () => randomAddress(r));
  let clock = 0; // a global order of "when" each event happens, to interleave vaults

  const timeline: { t: number; e: AnyEvent }[] = [];
  // Log indexes taken per (chain, block): an event's identity is (chainId, blockHash, logIndex)
  // (contract version 2), and vaults share blocks.
  const taken = new Set<string>();
  const freeLogIndex = (chainId: number, b: number) => {
    let l = int(r, 0, 400);
    while (taken.has(`${chainId}:${b}:${l}`)) l += 1;
    taken.add(`${chainId}:${b}:${l}`);
    return l;
  };
  for (let v = 0; v < o.vaults; v++) {
    const chainId = pick(r, chains);
    const vaultAddress = randomAddress(r);
    let block = int(r, 1, 1000);
    const t0 = int(r, 0, o.vaults * 3);
    const base = (b: number) => ({
      chainId,
      txHash: mixCase(r, randomHash(r)),
      logIndex: freeLogIndex(chainId, b),
      blockNumber: b,
      blockHash: '0x' + blockHashOf(b).slice(2).toUpperCase(), // upper case: stored lower-cased
      blockTimestamp: 1_700_000_000 + b * 12,
    });
    const dep: DeployEv = {
      type: 'deploy', ...base(block), vaultAddress: mixCase(r, vaultAddress), leader: mixCase(r, randomAddress(r)),
      name: vaultName(r, v), baseAsset: randomAddress(r),
    };
    timeline.push({ t: t0, e: dep });
    const followers = Array.from({ length: int(r, 2, 6) }, () => pick(r, followersPool));
    const balance = new Map<string, bigint>();
    let equity = 0n;
    const big = r() < 0.5; // half the vaults use 18-decimal amounts (far past 2^53)
    const unit = big ? 10n ** 18n : 1n;
    const n = Math.max(1, Math.round(o.eventsPerVault * (0.5 + r())));
    for (let i = 0; i < n; i++) {
      block += int(r, 0, 3);
      const t = t0 + 1 + i * 2 + r() * 4;
      const x = r();
      const who = pick(r, followers);
      const bal = balance.get(who) ?? 0n;
      if (x < 0.35 || equity <= 0n) {
        const a = bigBetween(r, 1n, 10_000n) * unit + bigBetween(r, 0n, unit);
        balance.set(who, bal + a);
        equity += a;
        const e: FollowerEv = { type: 'follower', ...base(block), vaultAddress: mixCase(r, vaultAddress), followerAddress: mixCase(r, who), amount: a.toString(), action: 'DEPOSIT' };
        timeline.push({ t, e });
      } else if (x < 0.5) {
        // Usually within the balance; sometimes more (the subscription then disappears).
        const a = bal > 0n && r() < 0.9 ? bigBetween(r, 0n, bal) + 1n : bigBetween(r, 1n, 1000n) * unit;
        balance.set(who, bal - a);
        equity -= a;
        const e: FollowerEv = { type: 'follower', ...base(block), vaultAddress: mixCase(r, vaultAddress), followerAddress: mixCase(r, who), amount: a.toString(), action: 'WITHDRAW' };
        timeline.push({ t, e });
      } else {
        const scale = equity > 0n ? equity : 1000n * unit;
        const permille = BigInt(int(r, -150, 170));
        const pnl = (scale * permille) / 1000n;
        equity += pnl;
        const e: TradeEv = {
          type: 'trade', ...base(block), vaultAddress: mixCase(r, vaultAddress), tokenIn: randomAddress(r), tokenOut: randomAddress(r),
          amountIn: bigBetween(r, 1n, 10n ** 30n).toString(), amountOut: bigBetween(r, 0n, 10n ** 30n).toString(), pnl: pnl.toString(),
        };
        timeline.push({ t, e });
      }
    }
  }
  clock = timeline.length;
  timeline.sort((a, b) => a.t - b.t);
  for (const { e } of timeline) events.push(e);

  // Delivery: roughly chronological (each event moved by up to a few places), plus duplicates
  // and removals. A removal copy goes either after its event or before it.
  const deliveries: AnyEvent[] = [...events];
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.max(0, i - int(r, 0, 6));
    [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
  }
  const extra: { at: number; e: AnyEvent }[] = [];
  const dupRate = o.dupRate ?? 0.1;
  const removeRate = o.removeRate ?? 0.05;
  const deployRemoveRate = o.deployRemoveRate ?? 0.05;
  deliveries.forEach((e, i) => {
    if (r() < dupRate) extra.push({ at: int(r, i, deliveries.length), e: { ...e } });
    const rate = e.type === 'deploy' ? deployRemoveRate : removeRate;
    if (r() < rate) {
      const removal = { ...e, removed: true };
      extra.push({ at: r() < 0.5 ? int(r, i, deliveries.length) : int(r, Math.max(0, i - 30), i), e: removal });
      if (r() < 0.3) extra.push({ at: int(r, i, deliveries.length), e: { ...removal } }); // a removal delivered twice
    }
  });
  extra.sort((a, b) => b.at - a.at);
  for (const x of extra) deliveries.splice(x.at, 0, x.e);
  void clock;
  return { events, deliveries };
}

/** Only the lower-case-insensitive identity matters for duplicates: "chain:blockHash:log". */
export const identityOf = (e: AnyEvent) => `${e.chainId}:${e.blockHash.toLowerCase()}:${e.logIndex}`;
