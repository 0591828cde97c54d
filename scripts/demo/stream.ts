import { blockHashOf, type AnyEvent, type DeployEv, type FollowerEv, type TradeEv } from '@vaults/testkit';
import { Rng } from './rng';

// A realistic, reproducible stream: what an indexer would see on one chain (`history`, in chain
// order) and the order it hands the events to the queues (`sends`): roughly chronological with
// local reordering, some vaults' deploys arriving late, some events sent twice, and some
// re-organised away (a `removed: true` copy, usually after the original, sometimes before it).

export const CHAIN_ID = 1;
export const BASE_DECIMALS = 18;
export const BASE_SYMBOL = 'DAI';
const UNIT = 10n ** BigInt(BASE_DECIMALS);

const BASE_ASSET = '0x6b175474e89094c44da98b954eedeac495271d0f'; // DAI, 18 decimals
const TOKENS = [
  { address: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2', decimals: 18, price: 3500 }, // WETH
  { address: '0x2260fac5e5542a773aa44fbcfedf7c193bc2c599', decimals: 8, price: 65000 }, // WBTC
  { address: '0x514910771af9ca656af840dff83e8264ecf986ca', decimals: 18, price: 15 }, // LINK
  { address: '0x1f9840a85d5af5bf1d1762f925bdaddc4201f984', decimals: 18, price: 10 }, // UNI
];
const NAMES = [
  'Alpha Momentum', 'Delta Neutral Yield', 'ETH Trend Rider', 'Basis Carry', 'Stable Compounder',
  'Perp Degen', 'BTC Swing', 'Mean Reversion', 'Vol Harvester', 'Macro Rotation', 'L2 Beta', 'DeFi Blue Chips',
];

export interface StreamOptions {
  seed: string;
  vaults: number;
  followers: number;
  trades: number;
  /** Unix seconds of the last block (the run's start, so event lag reads as a replay of history). */
  endTimestamp: number;
  /** Seconds between two blocks (default 12, a day of history for 5,000 trades; the demo spreads them over weeks). */
  blockSeconds?: number;
}

export type SendKind = 'event' | 'duplicate' | 'removal';
/** One job to add: an event through the Producer, a raw duplicate, or a removal copy. */
export interface Send {
  kind: SendKind;
  event: AnyEvent;
  /** Sent this long after its place in the stream (a lagging indexer), not at it. */
  delayMs?: number;
}

/** How long the late vaults' deploys lag behind their place in the stream. */
export const DEPLOY_LAG_MS = 1500;

export interface DemoStream {
  history: AnyEvent[];
  sends: Send[];
  counts: {
    deploys: number;
    trades: number;
    deposits: number;
    withdrawals: number;
    duplicates: number;
    removals: number;
    removalsBeforeOriginal: number;
    sentBeforeDeploy: number;
    lateDeploys: number;
  };
}

type Action = { t: 'deposit'; f: number; v: number } | { t: 'trade'; v: number } | { t: 'withdraw' } | { t: 'topup' };

export function generateStream(opts: StreamOptions): DemoStream {
  const rng = new Rng(opts.seed);
  // Each stream its own block hashes: two streams replayed into one database (the containers
  // suite's second stream, an upgrade) are two branches, not conflicting copies of one block's logs.
  const branch = [...opts.seed].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  const V = opts.vaults;

  // --- who
  const leaderCount = Math.max(1, Math.ceil(V * 0.75)); // a few leaders run two vaults
  const leaders = Array.from({ length: leaderCount }, () => rng.hex(20));
  const vaults = Array.from({ length: V }, (_, i) => ({
    address: rng.hex(20),
    leader: i < leaderCount ? leaders[i]! : rng.pick(leaders),
    name: i < NAMES.length ? NAMES[i]! : `${rng.pick(NAMES)} ${Math.floor(i / NAMES.length) + 1}`,
    popularity: 1 / Math.pow(i + 1, 0.8),
    activity: rng.between(0.5, 1.5),
  }));
  rng.shuffle(vaults); // popularity is not in address order
  const followers = Array.from({ length: opts.followers }, () => rng.hex(20));

  // --- what happens: every subscription's first deposit, the trades, later withdrawals and top-ups
  const subscriptions: [number, number][] = [];
  followers.forEach((_, f) => {
    const k = [1, 1, 1, 2, 2, 3][rng.int(0, 5)]!;
    const chosen = new Set<number>();
    while (chosen.size < Math.min(k, V)) chosen.add(rng.weighted(vaults.map((v) => v.popularity)));
    for (const v of chosen) subscriptions.push([f, v]);
  });
  const actions: Action[] = subscriptions.map(([f, v]) => ({ t: 'deposit', f, v }));
  const tradeWeights = vaults.map((v) => v.activity);
  for (let i = 0; i < opts.trades; i++) actions.push({ t: 'trade', v: rng.weighted(tradeWeights) });
  for (let i = 0; i < Math.round(subscriptions.length * 0.3); i++) actions.push({ t: 'withdraw' });
  for (let i = 0; i < Math.round(subscriptions.length * 0.15); i++) actions.push({ t: 'topup' });
  rng.shuffle(actions);
  // Each vault's first three deposits come first, so its trades have equity to earn on.
  const seeded = new Map<number, number>();
  const front: Action[] = [];
  const rest: Action[] = [];
  for (const a of actions) {
    if (a.t === 'deposit' && (seeded.get(a.v) ?? 0) < 3) {
      seeded.set(a.v, (seeded.get(a.v) ?? 0) + 1);
      front.push(a);
    } else rest.push(a);
  }

  // --- each vault's skill: a drift and a volatility per trade that give a plausible total ROI
  // (about -25%..+45% over the run) whatever the number of trades; single trades stay within ±3%.
  const tradesPer = vaults.map((_, v) => Math.max(1, actions.filter((a) => a.t === 'trade' && a.v === v).length));
  const drift = vaults.map((_, v) => rng.between(-0.25, 0.45) / tradesPer[v]!);
  const sigma = vaults.map((_, v) => Math.min(0.012, rng.between(0.08, 0.3) / Math.sqrt(tradesPer[v]!)));

  // --- the chain: positions, hashes, and the state the amounts depend on
  let block = 19_500_000;
  let logIndex = 0;
  let timestamp = 0; // shifted at the end so that the last block is at opts.endTimestamp
  const position = () => {
    if (rng.chance(0.6)) {
      const blocks = rng.int(1, 3);
      block += blocks;
      timestamp += (opts.blockSeconds ?? 12) * blocks;
      logIndex = rng.int(0, 40);
    } else logIndex += rng.int(1, 5);
    return { chainId: CHAIN_ID, txHash: rng.hex(32), logIndex, blockNumber: block, blockHash: blockHashOf(block, branch), blockTimestamp: timestamp };
  };
  const history: AnyEvent[] = [];
  const equity = vaults.map(() => 0n);
  const balance = new Map<string, bigint>(); // "f:v" -> deposited - withdrawn
  const funded: [number, number][] = []; // pairs that have had a balance (filtered lazily)
  const amount = (minUnits: number, maxUnits: number) =>
    BigInt(Math.floor(Math.exp(rng.between(Math.log(minUnits), Math.log(maxUnits))) * 1e6)) * 10n ** 12n + BigInt(rng.int(0, 999_999_999));

  for (const v of vaults) {
    history.push({ type: 'deploy', ...position(), vaultAddress: v.address, leader: v.leader, name: v.name, baseAsset: BASE_ASSET } satisfies DeployEv);
  }
  const follow = (f: number, v: number, action: 'DEPOSIT' | 'WITHDRAW', a: bigint) => {
    const key = `${f}:${v}`;
    const before = balance.get(key) ?? 0n;
    balance.set(key, action === 'DEPOSIT' ? before + a : before - a);
    if (before === 0n) funded.push([f, v]);
    equity[v] = action === 'DEPOSIT' ? equity[v]! + a : equity[v]! - a;
    history.push({
      type: 'follower', ...position(), vaultAddress: vaults[v]!.address, followerAddress: followers[f]!, amount: a.toString(), action,
    } satisfies FollowerEv);
  };
  const fundedPair = (): [number, number] | undefined => {
    for (let tries = 0; tries < 20 && funded.length; tries++) {
      const i = rng.int(0, funded.length - 1);
      const [f, v] = funded[i]!;
      if ((balance.get(`${f}:${v}`) ?? 0n) > 0n) return [f, v];
      funded.splice(i, 1);
    }
    return undefined;
  };

  for (const a of [...front, ...rest]) {
    if (a.t === 'deposit') follow(a.f, a.v, 'DEPOSIT', amount(50, 50_000));
    else if (a.t === 'topup') {
      const pair = fundedPair();
      if (pair) follow(pair[0], pair[1], 'DEPOSIT', amount(10, 10_000));
    } else if (a.t === 'withdraw') {
      const pair = fundedPair();
      if (!pair) continue;
      const [f, v] = pair;
      const held = balance.get(`${f}:${v}`)!;
      const wanted = rng.chance(0.35) ? held : (held * BigInt(rng.int(10, 80))) / 100n;
      const w = wanted < equity[v]! / 2n ? wanted : equity[v]! / 2n; // a vault never pays out more than half its equity at once
      if (w > 0n) follow(f, v, 'WITHDRAW', w);
    } else {
      const v = a.v;
      const e = equity[v]!;
      const r = Math.max(-0.03, Math.min(0.03, drift[v]! + sigma[v]! * rng.normal()));
      const pnl = e > 0n ? (e * BigInt(Math.round(r * 1e9))) / 1_000_000_000n : 0n;
      const notional = e > 0n ? (e * BigInt(rng.int(10, 250))) / 1000n + 1n : UNIT * 100n;
      const token = rng.pick(TOKENS);
      const price = BigInt(Math.round(token.price * rng.between(0.95, 1.05) * 1e6));
      const tokenAmount = (notional * 10n ** BigInt(token.decimals) * 1_000_000n) / (price * UNIT) + 1n;
      const buy = rng.chance(0.5);
      history.push({
        type: 'trade', ...position(), vaultAddress: vaults[v]!.address,
        tokenIn: buy ? BASE_ASSET : token.address, tokenOut: buy ? token.address : BASE_ASSET,
        amountIn: (buy ? notional : tokenAmount).toString(), amountOut: (buy ? tokenAmount : notional).toString(),
        pnl: pnl.toString(),
      } satisfies TradeEv);
      equity[v] = e + pnl;
    }
  }

  for (const e of history) e.blockTimestamp += opts.endTimestamp - timestamp;
  return { history, ...planDelivery(rng, history, vaults.map((v) => v.address)) };
}

/** The order an indexer delivers in, with its imperfections. Fractional keys place the extras. */
function planDelivery(rng: Rng, history: AnyEvent[], vaultAddresses: string[]): Pick<DemoStream, 'sends' | 'counts'> {
  // Roughly chronological: shuffled within windows of 16 (an indexer's concurrent fetches).
  const order = history.slice();
  for (let i = 0; i < order.length; i += 16) {
    const window = rng.shuffle(order.slice(i, i + 16));
    order.splice(i, window.length, ...window);
  }
  const keyed: { key: number; send: Send }[] = order.map((event, i) => ({ key: i, send: { kind: 'event', event } }));

  // A quarter of the vaults have their deploy come after 40 of their own events, and a moment
  // later still: the workers meet those events first and retry them with back-off until it lands.
  const late = rng.shuffle(vaultAddresses.slice()).slice(0, Math.max(1, Math.round(vaultAddresses.length / 4)));
  for (const address of late) {
    const deploy = keyed.find((k) => k.send.event.type === 'deploy' && k.send.event.vaultAddress === address)!;
    const own = keyed.filter((k) => k.send.event.type !== 'deploy' && k.send.event.vaultAddress === address);
    if (own.length) deploy.key = own[Math.min(39, own.length - 1)]!.key + 0.25;
    deploy.send.delayMs = DEPLOY_LAG_MS;
  }

  // Re-organisations: about 1% of trades and 5% of withdrawals are dropped from the chain.
  let removals = 0;
  let removalsBeforeOriginal = 0;
  const extras: { key: number; send: Send }[] = [];
  for (const k of keyed) {
    const e = k.send.event;
    const p = e.type === 'trade' ? 0.01 : e.type === 'follower' && e.action === 'WITHDRAW' ? 0.05 : 0;
    if (!rng.chance(p)) continue;
    removals++;
    const before = rng.chance(0.2);
    if (before) removalsBeforeOriginal++;
    const key = before ? Math.max(-1, k.key - rng.int(1, 50)) + 0.5 : k.key + rng.int(1, 300) + 0.5;
    extras.push({ key, send: { kind: 'removal', event: { ...e, removed: true } } });
  }
  // Re-sent events: about 2% of everything, anywhere later in the stream.
  let duplicates = 0;
  for (const k of keyed) {
    if (!rng.chance(0.02)) continue;
    duplicates++;
    extras.push({ key: k.key + rng.int(1, 2000) + 0.75, send: { kind: 'duplicate', event: k.send.event } });
  }
  const sends = [...keyed, ...extras].sort((a, b) => a.key - b.key).map((k) => k.send);

  // How many events reach the queues before their vault's first deploy (at least: the lagging
  // deploys come later still).
  let sentBeforeDeploy = 0;
  const deployed = new Set<string>();
  for (const s of sends) {
    if (s.event.type === 'deploy') deployed.add(s.event.vaultAddress);
    else if (!deployed.has(s.event.vaultAddress)) sentBeforeDeploy++;
  }
  const count = (pred: (e: AnyEvent) => boolean) => history.filter(pred).length;
  return {
    sends,
    counts: {
      deploys: count((e) => e.type === 'deploy'),
      trades: count((e) => e.type === 'trade'),
      deposits: count((e) => e.type === 'follower' && e.action === 'DEPOSIT'),
      withdrawals: count((e) => e.type === 'follower' && e.action === 'WITHDRAW'),
      duplicates,
      removals,
      removalsBeforeOriginal,
      sentBeforeDeploy,
      lateDeploys: late.length,
    },
  };
}
