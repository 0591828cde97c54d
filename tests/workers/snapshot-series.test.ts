import { createDatabase, recordDeploy, recordFollowerEvents, recordTrades, type Database, advanceSnapshot } from '@vaults/shared';
import {
  createTestDatabase, deploy, diffSeries, expectedSeries, follower, readSeries, trade,
  type AnyEvent, type FollowerEv, type TestDatabase, type TradeEv,
} from '@vaults/testkit';

// The vault series kept by the snapshot's fold (docs/CONTRACT.md §9.1), against the reference
// model after each step: appends rewrite only the open bucket, a late event far back rewrites the
// buckets from the checkpoint before it on, a removal that empties a bucket deletes its row, a
// follower's balance before a run comes from the ledger, and a vault folded without its series
// (before the migration) is folded again from the origin.

const B = 100;
const T0 = 1_700_000_000; // a multiple of B
const CHECKPOINT_EVERY = 4;

let db: TestDatabase;
let database: Database;
let vaultId: number;
const delivered: AnyEvent[] = [];
const strip = <T extends { type: string }>({ type: _type, ...rest }: T) => ({ ...rest, removed: false });

beforeAll(async () => {
  db = await createTestDatabase();
  database = createDatabase(db.url, 2);
  const d = deploy(1, 2);
  delivered.push(d);
  ({ vaultId } = await database.transaction((tx) => recordDeploy(tx, strip(d))));
});
afterAll(async () => {
  await database.close();
  await db.drop();
});

async function record(events: (TradeEv | FollowerEv)[], removed = false): Promise<void> {
  delivered.push(...events.map((e) => ({ ...e, removed })));
  const payload = <T extends { type: string }>(e: T) => ({ ...strip(e), removed });
  const ts = events.filter((e): e is TradeEv => e.type === 'trade').map(payload);
  const fs = events.filter((e): e is FollowerEv => e.type === 'follower').map(payload);
  if (ts.length) await database.transaction((tx) => recordTrades(tx, ts));
  if (fs.length) await database.transaction((tx) => recordFollowerEvents(tx, fs));
}
const snapshot = () => database.transaction((tx) => advanceSnapshot(tx, vaultId, CHECKPOINT_EVERY, 5000, B));
const seriesDiff = async () => diffSeries(expectedSeries(delivered, B), await readSeries(db.url));

it('follows appends, a late event far back, a removal that empties a bucket and a follower leaving', async () => {
  // A deposit, then 20 trades 50 s apart: buckets T0 .. T0 + 1000 (11 rows).
  await record([follower(1, 9, 'DEPOSIT', 1_000_000n, { blockNumber: 1, logIndex: 0, blockTimestamp: T0 })]);
  const first = Array.from({ length: 20 }, (_, i) => trade(1, BigInt((i % 7) - 3) * 1000n, { blockNumber: 10 + i, logIndex: 0, blockTimestamp: T0 + 50 * (i + 1) }));
  await record(first);
  expect(await snapshot()).toMatchObject({ eventsFolded: 21, seriesRowsWritten: 11 });
  expect(await seriesDiff()).toEqual([]);

  // New trades in the open bucket: that one row rewritten.
  await record([trade(1, 700n, { blockNumber: 30, logIndex: 0, blockTimestamp: T0 + 1010 }), trade(1, -90n, { blockNumber: 31, logIndex: 0, blockTimestamp: T0 + 1020 })]);
  expect(await snapshot()).toMatchObject({ eventsFolded: 23, resumedFrom: 'state', seriesRowsWritten: 1 });
  expect(await seriesDiff()).toEqual([]);

  // A late deposit of a second follower after the 16th event: the fold resumes from the
  // checkpoint at 16 events (bucket T0 + 700) and rewrites buckets T0 + 700 .. T0 + 1000.
  await record([follower(1, 8, 'DEPOSIT', 3_000_000n, { blockNumber: 24, logIndex: 1, blockTimestamp: T0 + 750 })]);
  expect(await snapshot()).toMatchObject({ eventsFolded: 24, resumedFrom: 'checkpoint', seriesRowsWritten: 4 });
  expect(await seriesDiff()).toEqual([]);

  // A trade alone in a far bucket, then its removal: that bucket's row goes.
  const lone = trade(1, 5000n, { blockNumber: 40, logIndex: 0, blockTimestamp: T0 + 5000 });
  await record([lone]);
  await snapshot();
  expect((await readSeries(db.url)).get(`1:${lone.vaultAddress}`)!.map((r) => r.bucketStart)).toContain(T0 + 5000);
  await record([lone], true);
  expect(await snapshot()).toMatchObject({ eventsFolded: 24, resumedFrom: 'checkpoint' });
  expect((await readSeries(db.url)).get(`1:${lone.vaultAddress}`)!.map((r) => r.bucketStart)).not.toContain(T0 + 5000);
  expect(await seriesDiff()).toEqual([]);

  // The first follower withdraws everything in a later run: its balance before the run comes
  // from the ledger, and the follower count drops to 1.
  await record([follower(1, 9, 'WITHDRAW', 1_000_000n, { blockNumber: 50, logIndex: 0, blockTimestamp: T0 + 6000 })]);
  await snapshot();
  const rows = (await readSeries(db.url)).get(`1:${lone.vaultAddress}`)!;
  expect(rows.map((r) => r.followerCount)).toEqual([1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1]);
  expect(await seriesDiff()).toEqual([]);
});

it('folds a vault without its series (folded before the migration) again from the origin', async () => {
  await database.sql.execute`DELETE FROM "VaultSeries"`;
  await record([trade(1, 10n, { blockNumber: 60, logIndex: 0, blockTimestamp: T0 + 7000 })]);
  expect(await snapshot()).toMatchObject({ resumedFrom: 'origin', eventsFolded: 26 });
  expect(await seriesDiff()).toEqual([]);
});

it('folds again from the origin when the state moved without the series (a worker without it, same event count)', async () => {
  // What a worker without the series leaves: the state after one more event and one fewer (the
  // count unchanged), the last bucket's row as before.
  const late = trade(1, 12_345n, { blockNumber: 70, logIndex: 0, blockTimestamp: T0 + 7000 });
  const before = await readSeries(db.url);
  await record([late]);
  await snapshot();
  await database.sql.execute`DELETE FROM "VaultSeries" WHERE "bucketStart" = ${T0 + 7000}::bigint`;
  const stale = before.get(`1:${late.vaultAddress}`)!.at(-1)!;
  await database.sql.execute`
    INSERT INTO "VaultSeries" ("vaultId", "bucketStart", "sharePrice", "tvl", "cumulativePnl", "netDeposits", "maxDrawdown", "followerCount", "eventsFolded")
    VALUES (${vaultId}::int, ${stale.bucketStart}::bigint, ${stale.sharePrice}::float8, ${String(stale.tvl)}::numeric, ${String(stale.cumulativePnl)}::numeric,
            ${String(stale.netDeposits)}::numeric, ${stale.maxDrawdown}::float8, ${stale.followerCount}::int, ${stale.eventsFolded + 1}::bigint)`;
  await record([trade(1, 1n, { blockNumber: 71, logIndex: 0, blockTimestamp: T0 + 7001 })]);
  expect(await snapshot()).toMatchObject({ resumedFrom: 'origin' });
  expect(await seriesDiff()).toEqual([]);
});
