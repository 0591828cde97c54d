import fc from 'fast-check';
import { addr, blockHashOf, txh, type AnyEvent, type DeployEv, type FollowerEv, type TradeEv } from '@vaults/testkit';

// Random histories for the property test: a few vaults (some deployed twice, some deploys
// removed, some never deployed), deposits and withdrawals of a few followers, trades with
// profits and losses (some near the 2^255 edge), removals, duplicate deliveries, and
// re-inclusions (a re-organisation removes a trade or follower event and the chain includes its
// transaction again: in a sibling block at the same height, or in a later block; contract
// version 2: another identity); then delivered in a random order.

export interface History {
  events: AnyEvent[];
  /** What the queues receive: events, duplicates and removal copies, shuffled. */
  delivered: AnyEvent[];
}

const CHAIN = 1;
const amountArb = fc.oneof(
  { weight: 8, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 22n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 2n ** 200n, max: 2n ** 254n }) },
);
const pnlArb = fc.oneof(
  { weight: 8, arbitrary: fc.bigInt({ min: -(10n ** 21n), max: 10n ** 21n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 254n), max: 2n ** 254n }) },
);

type Draft =
  | { type: 'deploy'; vault: number; leader: number }
  | { type: 'trade'; vault: number; pnl: bigint; amountIn: bigint }
  | { type: 'follower'; vault: number; who: number; action: 'DEPOSIT' | 'WITHDRAW'; amount: bigint };

// Vault `vaults` is never deployed by default (its events must fail, not take effect); it is
// drawn rarely, since each of its jobs waits out its retries.
const vaultArb = (vaults: number) =>
  fc.oneof({ weight: 30, arbitrary: fc.nat(vaults - 1) }, { weight: 1, arbitrary: fc.constant(vaults) });

const draftArb = (vaults: number): fc.Arbitrary<Draft> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.record({ type: fc.constant('deploy' as const), vault: fc.nat(vaults), leader: fc.nat(3) }) },
    { weight: 5, arbitrary: fc.record({ type: fc.constant('trade' as const), vault: vaultArb(vaults), pnl: pnlArb, amountIn: amountArb }) },
    {
      weight: 4,
      arbitrary: fc.record({
        type: fc.constant('follower' as const),
        vault: vaultArb(vaults),
        who: fc.nat(4),
        action: fc.constantFrom('DEPOSIT' as const, 'WITHDRAW' as const),
        amount: amountArb,
      }),
    },
  );

export const historyArb = (maxEvents: number): fc.Arbitrary<History> =>
  fc
    .integer({ min: 1, max: 3 })
    .chain((vaults) =>
      fc.record({
        // Every vault but maybe the last is deployed for sure; extra deploys come from drafts.
        drafts: fc.array(draftArb(vaults), { minLength: 1, maxLength: maxEvents }),
        vaults: fc.constant(vaults),
        leaders: fc.array(fc.nat(3), { minLength: vaults + 1, maxLength: vaults + 1 }),
        // Per event: [removed?, removal before the event?, duplicates].
        fates: fc.array(fc.tuple(fc.nat(9), fc.boolean(), fc.nat(2)), { minLength: maxEvents + 4, maxLength: maxEvents + 4 }),
        order: fc.array(fc.nat(1_000_000), { minLength: 3 * (maxEvents + 4), maxLength: 3 * (maxEvents + 4) }),
        positions: fc.array(fc.nat(1_000_000), { minLength: maxEvents + 4, maxLength: maxEvents + 4 }),
        // Per event: 0 re-included in a sibling block, 1 in a later block, otherwise not.
        reinclusions: fc.array(fc.nat(15), { minLength: maxEvents + 4, maxLength: maxEvents + 4 }),
      }),
    )
    .map(({ drafts, vaults, leaders, fates, order, positions, reinclusions }) => {
      const all: Draft[] = [];
      for (let v = 0; v < vaults; v++) all.push({ type: 'deploy', vault: v, leader: leaders[v]! });
      all.push(...drafts);
      // Distinct positions, in a random order relative to generation order.
      const pos = all.map((_, i) => ({ i, k: positions[i] ?? i })).sort((a, b) => a.k - b.k || a.i - b.i);
      const positionOf = new Map(pos.map((p, rank) => [p.i, rank]));
      const built = all.map((d, i) => build(d, i, positionOf.get(i)!));
      const reincluded = reinclude(built, reinclusions);
      const events = [...built, ...reincluded.map((r) => r.again)];
      const delivered: AnyEvent[] = [];
      events.forEach((e, i) => {
        const [removedRoll, removalFirst, dups] = fates[i % fates.length] ?? [9, false, 0];
        const copies: AnyEvent[] = Array.from({ length: 1 + dups }, () => e);
        // A re-included event's first inclusion is always removed (its block left the chain).
        if (removedRoll < 2 || reincluded.some((r) => r.original === e)) copies[removalFirst ? 'unshift' : 'push']({ ...e, removed: true });
        delivered.push(...copies);
      });
      const shuffled = delivered.map((e, i) => ({ e, k: order[i] ?? i })).sort((a, b) => a.k - b.k).map((x) => x.e);
      return { events, delivered: shuffled };
    });

/** The re-included copies: same transaction and content, in a sibling block (same height and log index) or after every other event. */
function reinclude(events: AnyEvent[], rolls: number[]): { original: AnyEvent; again: AnyEvent }[] {
  const endBlock = Math.max(...events.map((e) => e.blockNumber)) + 1;
  const endTime = Math.max(...events.map((e) => e.blockTimestamp)) + 1;
  const out: { original: AnyEvent; again: AnyEvent }[] = [];
  events.forEach((e, i) => {
    const roll = rolls[i] ?? 15;
    if (e.type === 'deploy' || roll > 1) return;
    const k = out.length;
    const again: AnyEvent = roll === 0
      ? { ...e, blockHash: blockHashOf(e.blockNumber, 1) }
      : { ...e, blockNumber: endBlock + k, logIndex: 0, blockHash: blockHashOf(endBlock + k), blockTimestamp: endTime + k };
    out.push({ original: e, again });
  });
  return out;
}

function build(d: Draft, i: number, rank: number): AnyEvent {
  const base = { chainId: CHAIN, txHash: txh(0xa000_0000 + i), logIndex: rank % 4, blockNumber: 100 + Math.floor(rank / 4), blockHash: blockHashOf(100 + Math.floor(rank / 4)), blockTimestamp: 1_700_000_000 + rank };
  const vaultAddress = addr(0x7a0000 + d.vault);
  switch (d.type) {
    case 'deploy':
      return { ...base, type: 'deploy', vaultAddress, leader: addr(0x1e0000 + d.leader), name: `Vault ${d.vault}`, baseAsset: addr(0xba5e) } satisfies DeployEv;
    case 'trade':
      return { ...base, type: 'trade', vaultAddress, tokenIn: addr(0xaa), tokenOut: addr(0xbb), amountIn: d.amountIn.toString(), amountOut: d.amountIn.toString(), pnl: d.pnl.toString() } satisfies TradeEv;
    case 'follower':
      return { ...base, type: 'follower', vaultAddress, followerAddress: addr(0xf00000 + d.who), amount: d.amount.toString(), action: d.action } satisfies FollowerEv;
  }
}
