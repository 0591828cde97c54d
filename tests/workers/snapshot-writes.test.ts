import { createDatabase, recordDeploy, recordFollowerEvents, recordTrades, type Database, type FollowerEvent, type TradeExecuted, advanceSnapshot, snapshotVault } from '@vaults/shared';
import { addr, createTestDatabase, deploy, follower, trade, type TestDatabase } from '@vaults/testkit';
import { foldFromScratch, readCheckpoints, readState, readVault } from './support/snapshot-fold';

// What the snapshot writes, against a fold from scratch: the snapshot merges its statements
// (look-up with lock, state read with checkpoint read/delete, checkpoints with state and Vault
// row), and each test here breaks if one of those merges changes a result.

let db: TestDatabase;
let database: Database;
beforeAll(async () => {
  db = await createTestDatabase();
  // Pool of 4: a test holds a writer's transaction open while a snapshot waits and the test reads.
  database = createDatabase(db.url, 4);
});
afterAll(async () => {
  await database.close();
  await db.drop();
});

const live = <T extends { type: string }>({ type, ...rest }: T) => ({ ...rest, removed: false });
const trades = (items: TradeExecuted[]) => database.transaction((tx) => recordTrades(tx, items));
const followers = (items: FollowerEvent[]) => database.transaction((tx) => recordFollowerEvents(tx, items));
const byAddress = (vault: number, every: number) => database.transaction((tx) => snapshotVault(tx, 1, addr(vault), every));
const newVault = async (vault: number) => (await database.transaction((tx) => recordDeploy(tx, live(deploy(vault, 2))))).vaultId;

/** A deposit at block 1, then one trade per block from `fromBlock` (pnl varied, some losses). */
function history(vault: number, fromBlock: number, count: number): { deposit: FollowerEvent; trades: TradeExecuted[] } {
  return {
    deposit: live(follower(vault, 9, 'DEPOSIT', 1_000_000n, { blockNumber: 1 })),
    trades: Array.from({ length: count }, (_, i) => live(trade(vault, BigInt(((i * 5) % 11) - 4) * 1000n, { blockNumber: fromBlock + i }))),
  };
}

it('checkpoints land where a fold from scratch puts them, across pages and runs', async () => {
  const vaultId = await newVault(301);
  const { deposit, trades: all } = history(301, 10, 23);
  await followers([deposit]);
  const every = 4;
  // Pages of 3 events, checkpoints every 4: checkpoints fall inside pages and across runs.
  for (const batch of [all.slice(0, 10), all.slice(10, 17), all.slice(17)]) {
    await trades(batch);
    const r = await database.transaction((tx) => advanceSnapshot(tx, vaultId, every, 3));
    expect(r).toMatchObject({ resumedFrom: 'state', wrote: true });
  }
  const expected = foldFromScratch([deposit, ...all], every);
  expect(await readCheckpoints(database, vaultId)).toEqual(expected.checkpoints);
  expect(expected.checkpoints.map((c) => c.eventsFolded)).toEqual(['4', '8', '12', '16', '20', '24']);
  expect(await readState(database, vaultId)).toEqual({ ...expected.state, recomputeFromBlock: null });
  expect(await readVault(database, vaultId)).toEqual(expected.vault);
});

it('a late event and a removal recompute to the fold from scratch, re-making the checkpoints they moved', async () => {
  const vaultId = await newVault(302);
  const { deposit, trades: all } = history(302, 10, 30);
  await followers([deposit]);
  await trades(all);
  const every = 3;
  expect(await byAddress(302, every)).toMatchObject({ eventsFolded: 31, resumedFrom: 'state' });
  const before = await readCheckpoints(database, vaultId);

  // The trade at block 13 removed and a late one at block 13, log index 1: the event count is
  // unchanged, so the checkpoint after them (6th event, block 14) is re-made at the same
  // position with other values. Checkpoint deletion and insertion in one statement would keep
  // the old one (ON CONFLICT DO NOTHING), and this comparison would fail.
  const removed = { ...all[3]!, removed: true };
  const late = live(trade(302, 250_000n, { blockNumber: 13, logIndex: 1 }));
  await trades([removed, late]);
  const r = await byAddress(302, every);
  expect(r).toMatchObject({ resumedFrom: 'checkpoint', eventsFolded: 31, wrote: true });
  expect(r!.eventsRead).toBe(31 - 3); // from the checkpoint at the 3rd event (block 11)

  const expected = foldFromScratch([deposit, ...all.filter((t) => t !== all[3]), late], every);
  const after = await readCheckpoints(database, vaultId);
  expect(after).toEqual(expected.checkpoints);
  expect(after[1]).toMatchObject({ blockNumber: '14', eventsFolded: '6' });
  expect(after[1]).not.toEqual(before[1]); // same position, new values
  expect(await readState(database, vaultId)).toEqual({ ...expected.state, recomputeFromBlock: null });
  expect(await readVault(database, vaultId)).toEqual(expected.vault);
  expect(r).toMatchObject(expected.vault);
});

it('a run with nothing new writes nothing, and the Vault row is still right', async () => {
  const vaultId = await newVault(303);
  const { deposit, trades: all } = history(303, 10, 12);
  await followers([deposit]);
  await trades(all);
  expect(await byAddress(303, 5)).toMatchObject({ wrote: true });
  const rowVersions = () => database.sql.query<{ s: string; v: string }>`
    SELECT (SELECT xmin::text FROM "VaultMetricsState" WHERE "vaultId" = ${vaultId}::int) AS s,
           (SELECT xmin::text FROM "Vault" WHERE id = ${vaultId}::int) AS v`;
  const [written] = await rowVersions();

  expect(await byAddress(303, 5)).toMatchObject({ eventsRead: 0, resumedFrom: 'state', wrote: false });
  expect(await rowVersions()).toEqual([written]); // neither row was rewritten
  const expected = foldFromScratch([deposit, ...all], 5);
  expect(await readVault(database, vaultId)).toEqual(expected.vault);
  expect(await readCheckpoints(database, vaultId)).toEqual(expected.checkpoints);

  // A Vault row that does not show the state's metrics is rewritten, nothing new or not.
  await database.sql.execute`UPDATE "Vault" SET "roi" = 0.5 WHERE id = ${vaultId}::int`;
  expect(await byAddress(303, 5)).toMatchObject({ eventsRead: 0, wrote: true });
  expect(await readVault(database, vaultId)).toEqual(expected.vault);

  // Removing the last event reads nothing new, but the recompute-from mark makes it a write.
  await trades([{ ...all[11]!, removed: true }]);
  expect(await byAddress(303, 5)).toMatchObject({ resumedFrom: 'checkpoint', eventsFolded: 12, wrote: true });
  expect(await readVault(database, vaultId)).toEqual(foldFromScratch([deposit, ...all.slice(0, 11)], 5).vault);
});

it('a removal that leaves nothing to read and the metrics as they were still moves the state back', async () => {
  const vaultId = await newVault(306);
  const { deposit, trades: all } = history(306, 10, 4);
  await followers([deposit]);
  await trades(all);
  const flat = live(trade(306, 0n, { blockNumber: 50 })); // pnl 0: the metrics do not move
  await trades([flat]);
  expect(await byAddress(306, 5)).toMatchObject({ eventsFolded: 6, wrote: true });
  // Removed: the fold resumes from the checkpoint at the 5th event and reads nothing after it,
  // with the same metrics as the Vault row shows; the state must still go back to 5 events and
  // the recompute-from mark be cleared.
  await trades([{ ...flat, removed: true }]);
  expect(await byAddress(306, 5)).toMatchObject({ resumedFrom: 'checkpoint', eventsRead: 0, eventsFolded: 5, wrote: true });
  const expected = foldFromScratch([deposit, ...all], 5);
  expect(await readState(database, vaultId)).toEqual({ ...expected.state, recomputeFromBlock: null });
  expect(await readVault(database, vaultId)).toEqual(expected.vault);
});

it('a vault without events keeps correct (zero) metrics; an unknown vault gets nothing', async () => {
  const vaultId = await newVault(304);
  expect(await byAddress(304, 5)).toMatchObject({ vaultId, eventsFolded: 0, eventsRead: 0, resumedFrom: 'state', wrote: false });
  expect(await readVault(database, vaultId)).toEqual({ tvl: '0', roi: 0, drawdown: 0 });
  // Its first events are then folded from the origin.
  const { deposit, trades: all } = history(304, 10, 3);
  await followers([deposit]);
  await trades(all);
  expect(await byAddress(304, 5)).toMatchObject({ eventsFolded: 4, eventsRead: 4, wrote: true });
  const expected = foldFromScratch([deposit, ...all], 5);
  expect(await readState(database, vaultId)).toEqual({ ...expected.state, recomputeFromBlock: null });
  expect(await readVault(database, vaultId)).toEqual(expected.vault);

  const states = () => database.sql.query`SELECT count(*)::int AS n FROM "VaultMetricsState"`;
  const n = await states();
  expect(await byAddress(399, 5)).toBeUndefined();
  expect(await states()).toEqual(n);
});

it('reads the state after the lock: a recompute-from mark committed while the snapshot waited is seen', async () => {
  const vaultId = await newVault(305);
  const { deposit, trades: all } = history(305, 10, 12);
  await followers([deposit]);
  await trades(all);
  await byAddress(305, 4);

  // Just after block 12's trade (the 4th event folded: the checkpoint the snapshot resumes from).
  const late = live(trade(305, -70_000n, { blockNumber: 12, logIndex: all[2]!.logIndex + 1 }));
  let snapshot: ReturnType<typeof byAddress> | undefined;
  // The writer's transaction marks the vault and, before it commits, the snapshot starts and
  // waits for the vault's lock; a snapshot that read its state in the statement that waited would
  // miss the mark (its read predates the commit) and never fold the late trade.
  await database.transaction(async (tx) => {
    await recordTrades(tx, [late]);
    snapshot = byAddress(305, 4);
    await waitForLockWaiter();
  });
  expect(await snapshot).toMatchObject({ resumedFrom: 'checkpoint', eventsFolded: 14, wrote: true });
  const expected = foldFromScratch([deposit, ...all, late], 4);
  expect(await readVault(database, vaultId)).toEqual(expected.vault);
  expect(await readCheckpoints(database, vaultId)).toEqual(expected.checkpoints);
});

/** Until a session of this database waits for a lock (the snapshot, behind the writer: its advisory lock, or any lock a changed statement would wait on first). */
async function waitForLockWaiter(): Promise<void> {
  for (;;) {
    const [row] = await database.sql.query<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if (row!.n > 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}
