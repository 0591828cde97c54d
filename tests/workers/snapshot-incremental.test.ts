import { createDatabase, type Database, type FollowerEvent, type TradeExecuted, recordFollowerEvents, recordTrades, recordDeploy, advanceSnapshot } from '@vaults/shared';
import { createTestDatabase, deploy, follower, trade, type TestDatabase } from '@vaults/testkit';

// The snapshot folds only what is new; a late or removed event sends it back to the newest
// checkpoint before that event, not to the start.

let db: TestDatabase;
let database: Database;
let vaultId: number;
const strip = <T extends { type: string }>({ type, ...rest }: T) => ({ ...rest, removed: false });

beforeAll(async () => {
  db = await createTestDatabase();
  database = createDatabase(db.url, 2);
  ({ vaultId } = await database.transaction((tx) => recordDeploy(tx, strip(deploy(1, 2)))));
});
afterAll(async () => {
  await database.close();
  await db.drop();
});

const trades = (items: TradeExecuted[]) => database.transaction((tx) => recordTrades(tx, items));
const followers = (items: FollowerEvent[]) => database.transaction((tx) => recordFollowerEvents(tx, items));
const snapshot = () => database.transaction((tx) => advanceSnapshot(tx, vaultId, 10));

it('reads only new events, and resumes from a checkpoint after a late event', async () => {
  await followers([strip(follower(1, 9, 'DEPOSIT', 1_000_000n, { blockNumber: 1 }))]);
  const first = Array.from({ length: 50 }, (_, i) => strip(trade(1, BigInt((i % 7) - 3) * 1000n, { blockNumber: 10 + i })));
  await trades(first);
  expect(await snapshot()).toMatchObject({ eventsFolded: 51, eventsRead: 51, resumedFrom: 'state' });

  // Only new events: the next snapshot reads just those.
  await trades([strip(trade(1, 500n, { blockNumber: 100 })), strip(trade(1, -200n, { blockNumber: 101 }))]);
  expect(await snapshot()).toMatchObject({ eventsFolded: 53, eventsRead: 2, resumedFrom: 'state' });

  // Nothing new: nothing read.
  expect(await snapshot()).toMatchObject({ eventsFolded: 53, eventsRead: 0, resumedFrom: 'state' });

  // A late deposit at block 35 (between trades 25 and 26): resume from the checkpoint at 30
  // folded events (block 38), i.e. re-read 24 events, not 54.
  await followers([strip(follower(1, 8, 'DEPOSIT', 5_000n, { blockNumber: 35, logIndex: 1 }))]);
  const afterLate = await snapshot();
  expect(afterLate).toMatchObject({ eventsFolded: 54, resumedFrom: 'checkpoint' });
  expect(afterLate.eventsRead).toBeLessThan(54);
  expect(afterLate.eventsRead).toBeGreaterThan(2);

  // The result equals a fold from scratch.
  await database.sql.execute`UPDATE "VaultMetricsState" SET "recomputeFromBlock" = 0, "recomputeFromLogIndex" = 0 WHERE "vaultId" = ${vaultId}`;
  const full = await snapshot();
  expect(full).toMatchObject({ eventsFolded: 54, eventsRead: 54, resumedFrom: 'origin' });
  expect({ tvl: full.tvl, roi: full.roi, drawdown: full.drawdown }).toEqual({ tvl: afterLate.tvl, roi: afterLate.roi, drawdown: afterLate.drawdown });
});
