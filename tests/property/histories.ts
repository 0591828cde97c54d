import fc from 'fast-check';
import { addr, blockHashOf, txh, type AnyEvent, type DeployEv, type FollowerEv, type TradeEv } from '@vaults/testkit';

// Random histories for the property test: a few vaults (some deployed twice, some deploys
// removed, some never deployed), deposits and withdrawals of a few followers, trades with
// profits and losses (some near the 2^255 edge), removals, re-inclusions (a re-organisation
// drops the event's block and the same transaction comes back in a sibling block at the same
// height, or in a later block with the same or another log index: contract version 2 makes it
// another event) and duplicate deliveries; then delivered in a random order, so the new block's
// copy arrives before the old block's removal as often as after it.

export interface History {
  events: AnyEvent[];
  /** How many events came back in another block. */
  reincluded: number;
  /** Where the test restarts one replica of each worker: after this many deliveries (none when past the end). */
  restartAt: number;
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
        // Per event: [removed?, removal before the event?, duplicates, re-included where? (0-2; else not)].
        fates: fc.array(fc.tuple(fc.nat(9), fc.boolean(), fc.nat(2), fc.nat(9)), { minLength: maxEvents + 4, maxLength: maxEvents + 4 }),
        order: fc.array(fc.nat(1_000_000), { minLength: 3 * (maxEvents + 4), maxLength: 3 * (maxEvents + 4) }),
        positions: fc.array(fc.nat(1_000_000), { minLength: maxEvents + 4, maxLength: maxEvents + 4 }),
        // One history in four restarts a replica set part-way through the deliveries.
        restart: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.double({ min: 0.1, max: 0.9, noNaN: true }) }),
      }),
    )
    .map(({ drafts, vaults, leaders, fates, order, positions, restart }) => {
      const all: Draft[] = [];
      for (let v = 0; v < vaults; v++) all.push({ type: 'deploy', vault: v, leader: leaders[v]! });
      all.push(...drafts);
      // Distinct positions, in a random order relative to generation order.
      const pos = all.map((_, i) => ({ i, k: positions[i] ?? i })).sort((a, b) => a.k - b.k || a.i - b.i);
      const positionOf = new Map(pos.map((p, rank) => [p.i, rank]));
      const events = all.map((d, i) => build(d, i, positionOf.get(i)!));
      const delivered: AnyEvent[] = [];
      let reincluded = 0;
      events.forEach((e, i) => {
        const [removedRoll, removalFirst, dups, moveRoll] = fates[i] ?? [9, false, 0, 9];
        const moved = reinclusion(e, i, moveRoll);
        if (moved) {
          // The old block is dropped (its removal), the new block's copy is delivered, duplicated,
          // and sometimes dropped again.
          reincluded += 1;
          delivered.push(e, { ...e, removed: true }, ...Array.from({ length: 1 + dups }, () => moved));
          if (removedRoll < 2) delivered.push({ ...moved, removed: true });
          return;
        }
        const copies: AnyEvent[] = Array.from({ length: 1 + dups }, () => e);
        if (removedRoll < 2) copies[removalFirst ? 'unshift' : 'push']({ ...e, removed: true });
        delivered.push(...copies);
      });
      const shuffled = delivered.map((e, i) => ({ e, k: order[i] ?? i })).sort((a, b) => a.k - b.k).map((x) => x.e);
      const restartAt = restart === null ? shuffled.length : Math.floor(restart * shuffled.length);
      return { events, delivered: shuffled, reincluded, restartAt };
    });

/**
 * The same transaction in another block: 0, a sibling block at the same height (branch 1: one
 * sibling per height, holding every event re-included there); 1, a later block with the same
 * log index; 2, a later block with another log index (later blocks of a branch of their own per
 * event, so no two re-included events share an identity); otherwise not re-included.
 */
function reinclusion(e: AnyEvent, i: number, roll: number): AnyEvent | undefined {
  const later = e.blockNumber + 1 + (i % 3);
  switch (roll) {
    case 0:
      return { ...e, blockHash: blockHashOf(e.blockNumber, 1) };
    case 1:
      return { ...e, blockNumber: later, blockHash: blockHashOf(later, 1000 + i), blockTimestamp: e.blockTimestamp + 12 };
    case 2:
      return { ...e, blockNumber: later, blockHash: blockHashOf(later, 1000 + i), logIndex: e.logIndex + 4, blockTimestamp: e.blockTimestamp + 12 };
    default:
      return undefined;
  }
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
