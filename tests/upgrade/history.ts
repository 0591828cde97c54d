import { addr, blockHashOf, deploy, follower, prng, trade, type AnyEvent } from '@vaults/testkit';

// The chain the upgrade test plays, in three acts (tests/upgrade/run.ts):
// 1. under contract version 1 (the previous main): a session of deploys, deposits, trades and
//    withdrawals; a re-organisation that dropped some logs for good and re-included one
//    transaction in a sibling block (which version 1 retracted for ever: the bug version 2 fixes);
// 2. after the upgrade: the same canonical logs re-sent with their hashes (duplicates, shuffled),
//    as an operator's rewind of the indexer would;
// 3. a re-organisation after the upgrade (depth 3): the last blocks dropped, their transactions
//    re-included in sibling blocks at the same heights or in a later block, one dropped for good,
//    a vault deploy and a withdrawal among the re-included, new copies before old removals.

const VAULTS = [0xa1, 0xa2];
const LEADER = 0x1ead;
const LAST_BLOCK = 30;

export interface UpgradeHistory {
  /** What the previous main's workers receive (version-1 queues: the hash rides along, ignored). */
  v1: AnyEvent[];
  /** The canonical logs of act 1, as the indexer knew them: what a rewind re-sends. */
  canonical: AnyEvent[];
  /** Act 2: the canonical logs again, with duplicates, shuffled. */
  resend: AnyEvent[];
  /** Act 3: the re-organisation after the upgrade. */
  reorg: AnyEvent[];
}

const removal = (e: AnyEvent): AnyEvent => ({ ...e, removed: true });

function shuffle<T>(xs: T[], rnd: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function upgradeHistory(seed = 20261207): UpgradeHistory {
  const rnd = prng(seed);
  const at = (blockNumber: number, logIndex: number) => ({ blockNumber, logIndex, blockHash: blockHashOf(blockNumber), blockTimestamp: 1_700_000_000 + 12 * blockNumber });
  const canonical: AnyEvent[] = VAULTS.map((v, i) => deploy(v, LEADER, at(1 + i, 0)));
  for (let b = 3; b <= LAST_BLOCK; b++) {
    for (let l = 0; l < 3; l++) {
      const v = VAULTS[(b + l) % VAULTS.length]!;
      const who = 0xf0 + Math.floor(rnd() * 4);
      const roll = rnd();
      if (b < 6 || roll < 0.3) canonical.push(follower(v, who, 'DEPOSIT', BigInt(1_000_000 + Math.floor(rnd() * 1_000_000)), at(b, l)));
      else if (roll < 0.4) canonical.push(follower(v, who, 'WITHDRAW', BigInt(1 + Math.floor(rnd() * 50_000)), at(b, l)));
      else canonical.push(trade(v, BigInt(Math.floor(rnd() * 200_000) - 90_000), at(b, l)));
    }
  }

  // Act 1's re-organisation: block 12's logs dropped; the first one's transaction re-included in
  // the sibling block at the same height (same log index), the others gone for good.
  const dropped = canonical.filter((e) => e.blockNumber === 12);
  const sibling = { ...dropped[0]!, blockHash: blockHashOf(12, 1) };
  const kept = canonical.filter((e) => e.blockNumber !== 12);
  const canonicalAfter = [...kept, sibling];
  const v1 = [...canonical, ...dropped.map(removal), sibling];

  const resend = shuffle([...canonicalAfter, ...canonicalAfter.filter(() => rnd() < 0.3)], rnd);

  // Act 3: blocks 28-30 dropped (depth 3). A vault deployed at 28 with a deposit, a trade and a
  // withdrawal after it; re-included: the deploy, the deposit and the withdrawal in sibling
  // blocks at the same heights, two trades in block 31 with other log indexes; one log dropped.
  const v3 = 0xa3;
  const extra: AnyEvent[] = [
    deploy(v3, LEADER, at(28, 3)),
    follower(v3, 0xf9, 'DEPOSIT', 5_000_000n, at(29, 3)),
    trade(v3, 400_000n, at(29, 4)),
    follower(v3, 0xf9, 'WITHDRAW', 1_000_000n, at(30, 3)),
  ];
  const old = [...canonicalAfter.filter((e) => e.blockNumber >= 28), ...extra];
  const reincluded: AnyEvent[] = [];
  old.forEach((e, i) => {
    if (i === 1) return; // dropped for good
    if (e.type === 'trade') reincluded.push({ ...e, blockNumber: 31, blockHash: blockHashOf(31), logIndex: 10 + i, blockTimestamp: e.blockTimestamp + 40 });
    else reincluded.push({ ...e, blockHash: blockHashOf(e.blockNumber, 2), blockTimestamp: e.blockTimestamp + 1 });
  });
  // The old blocks' events were sent before the re-organisation; then, in any order, the new
  // copies and the old removals, half the new copies first.
  const half = Math.ceil(reincluded.length / 2);
  const reorg = [...extra, ...shuffle(reincluded.slice(0, half), rnd), ...shuffle([...old.map(removal), ...reincluded.slice(half)], rnd)];
  return { v1, canonical: canonicalAfter, resend, reorg };
}

export const VAULT_ADDRESSES = [...VAULTS, 0xa3].map(addr);
