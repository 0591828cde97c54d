import { lockVaultForSnapshot, recordFollowerEvents, txOn, type FollowerEvent } from '@vaults/shared';
import { addr, follower, waitUntil } from '@vaults/testkit';
import { strip, writerBench } from './support/writers';

// The follower writer's ledger statement also sets the recompute-from mark (lock-protocol rule
// 2) and takes the balance locks: three statements per batch in the common case. These cases
// fail if that statement got agreement, the mark or the balance lock wrong.

const { w, vaults } = writerBench();

const f = (vault: number, who: number, block: number, logIndex: number, over: Partial<FollowerEvent> = {}): FollowerEvent =>
  ({ ...strip(follower(vault, who, 'DEPOSIT', 100n, { blockNumber: block, logIndex })), ...over });

const balance = async (vault: number, who: number) =>
  (await w.pg.query(
    `SELECT s."depositedAmount"::text AS d FROM "FollowerSubscription" s JOIN "User" u ON u.id = s."userId" JOIN "Vault" v ON v.id = s."vaultId"
      WHERE v."contractAddress" = $1 AND u."walletAddress" = $2`,
    [addr(vault), addr(who)],
  )).rows[0]?.d ?? '0';

it('records a new batch and its redelivery in three statements each', async () => {
  const batch = [f(1, 0xf1, 20, 0), f(2, 0xf1, 20, 1), f(1, 0xf2, 21, 0)];
  expect(await w.followers(batch)).toEqual({ statements: 3, outcomes: ['applied', 'applied', 'applied'] });
  expect(await w.followers([batch[1]!, batch[0]!, batch[1]!])).toEqual({ statements: 3, outcomes: ['duplicate', 'duplicate', 'duplicate'] });
  expect([await balance(1, 0xf1), await balance(2, 0xf1), await balance(1, 0xf2)]).toEqual(['100', '100', '100']);
});

it('marks the earliest changed position at or before the fold, and leaves a vault folded before its events untouched', async () => {
  await w.fold(vaults[0]!, 100, 5);
  await w.fold(vaults[1]!, 100, 5);
  const before = [await w.state(vaults[0]!), await w.state(vaults[1]!)];

  expect((await w.followers([f(1, 0xf3, 100, 6), f(2, 0xf3, 101, 0)])).statements).toBe(3);
  expect([await w.state(vaults[0]!), await w.state(vaults[1]!)]).toEqual(before);

  const early = f(1, 0xf3, 99, 1);
  expect((await w.followers([f(1, 0xf3, 100, 5), early, f(2, 0xf3, 102, 0), f(1, 0xf4, 99, 7)])).statements).toBe(3);
  expect((await w.state(vaults[0]!)).recomputeFrom).toBe('99:1');
  expect(await w.state(vaults[1]!)).toEqual(before[1]);

  // A redelivery changes no effect, so it marks nothing.
  await w.fold(vaults[0]!, 100, 5);
  const refolded = await w.state(vaults[0]!);
  expect((await w.followers([early])).outcomes).toEqual(['duplicate']);
  expect(await w.state(vaults[0]!)).toEqual(refolded);
});

it('removes, marking the removed position, and a later agreeing copy applies after a conflicting first copy', async () => {
  const a = f(1, 0xf5, 30, 0);
  await w.followers([a]);
  await w.fold(vaults[0]!, 40, 0);
  const b = { ...a, amount: '101' };
  expect((await w.followers([b, a])).outcomes).toEqual(['amount', 'duplicate']);
  expect((await w.state(vaults[0]!)).recomputeFrom).toBeNull();
  expect((await w.followers([b, { ...a, removed: true }])).outcomes).toEqual(['amount', 'removed']);
  expect((await w.state(vaults[0]!)).recomputeFrom).toBe('30:0');
  expect(await balance(1, 0xf5)).toBe('0');
  expect(await w.count('User', `"walletAddress" = '${addr(0xf5)}'`)).toBe(1);
});

it('sums a pair\'s event that a concurrent transaction commits while the batch waits for the balance lock', async () => {
  const [c1, c2] = [await w.connect(), await w.connect()];
  try {
    await w.followers([f(1, 0xf6, 50, 0)]);
    // c1 holds the pair's balance lock, in the key form the ledger statement uses.
    const { rows } = await w.pg.query(`SELECT id FROM "User" WHERE "walletAddress" = $1`, [addr(0xf6)]);
    await c1.query('BEGIN');
    await c1.query(`SELECT pg_advisory_xact_lock(hashtextextended('follower:' || $1::int || ':' || $2::int, 0))::text`, [vaults[0]!, rows[0].id]);
    await c2.query('BEGIN');
    const pending = recordFollowerEvents(txOn(c2), [f(1, 0xf6, 51, 0)]);
    await waitUntil(() => w.blocked(c2), 10_000, 'the batch to wait for the balance lock');
    // Meanwhile a third transaction's event of the pair commits (its ledger row only: the
    // balance it would have summed is left to the batch waiting for the lock).
    await w.pg.query(
      `INSERT INTO "FollowerEvent" ("chainId", "blockHash", "txHash", "logIndex", "vaultId", "userId", "action", "amount", "blockNumber", "blockTimestamp")
       VALUES (1, $1, $1, 0, $2, $3, 'DEPOSIT', 7, 52, 1)`,
      [`0x${'ab'.repeat(32)}`, vaults[0]!, rows[0].id],
    );
    await c1.query('COMMIT');
    expect(await pending).toEqual([{ ok: true, value: 'applied' }]);
    await c2.query('COMMIT');
    expect(await balance(1, 0xf6)).toBe('207');
  } finally {
    await c1.end();
    await c2.end();
  }
});

it('creates the follower\'s user only once the vault lock is held', async () => {
  const [c1, c2] = [await w.connect(), await w.connect()];
  try {
    // A snapshot holds vault 1: the batch waits for its shared lock, having written nothing.
    await c1.query('BEGIN');
    await lockVaultForSnapshot(txOn(c1), vaults[0]!);
    await c2.query('BEGIN');
    const pending = recordFollowerEvents(txOn(c2), [f(1, 0xf7, 60, 0)]);
    await waitUntil(() => w.blocked(c2), 10_000, 'the batch to wait for the vault lock');
    // Had the batch inserted the user already, this insert would wait for the batch (and so
    // for the snapshot): it does not.
    await w.pg.query(`INSERT INTO "User" ("walletAddress") VALUES ($1) ON CONFLICT DO NOTHING`, [addr(0xf7)]);
    await c1.query('COMMIT');
    expect(await pending).toEqual([{ ok: true, value: 'applied' }]);
    await c2.query('COMMIT');
    expect(await balance(1, 0xf7)).toBe('100');
  } finally {
    await c1.end();
    await c2.end();
  }
});
