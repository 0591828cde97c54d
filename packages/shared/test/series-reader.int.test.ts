import { createDatabase, latestSeriesTime, readLeaderboard, readVaultWindow, type Database } from '@vaults/shared';
import { addr, createTestDatabase, type TestDatabase } from '@vaults/testkit';

// The window and leaderboard readers over a hand-made series (the migration's vault_window and
// vault_returns), each figure computed by hand below.

const H = 3600;
let tdb: TestDatabase;
let db: Database;
const ids: Record<string, number> = {};

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDatabase(tdb.url, 2);
  const [user] = await db.sql.query<{ id: number }>`INSERT INTO "User" ("walletAddress") VALUES (${addr(1)}) RETURNING id`;
  for (const [i, name] of ['A', 'B', 'C', 'R'].entries()) {
    const [v] = await db.sql.query<{ id: number }>`
      INSERT INTO "Vault" ("chainId", "contractAddress", "name", "baseAsset", "leaderId", "status")
      VALUES (1, ${addr(0x100 + i)}, ${name}, ${addr(0xba5e)}, ${user!.id}::int, ${name === 'R' ? 'REMOVED' : 'ACTIVE'}::"VaultStatus") RETURNING id`;
    ids[name] = v!.id;
  }
  // vault, bucket (hours), share price, cumulative PnL, net deposits, max drawdown, followers
  const rows: [string, number, number, number, number, number, number][] = [
    ['A', 0, 1.0, 0, 1000, 0, 1],
    ['A', 10, 1.2, 200, 1000, 0, 2],
    ['A', 30, 0.9, -100, 1500, 0.25, 3],
    ['A', 40, 1.08, 80, 1500, 0.25, 3],
    ['B', 0, 0, -1000, 1000, 1, 1],
    ['B', 30, 0, -1000, 1500, 1, 1],
    ['C', 39, 1.05, 50, 1000, 0, 1],
    ['R', 39, 9, 8000, 1000, 0, 1],
  ];
  for (const [v, h, price, pnl, deposits, dd, followers] of rows) {
    await db.sql.execute`
      INSERT INTO "VaultSeries" ("vaultId", "bucketStart", "sharePrice", "tvl", "cumulativePnl", "netDeposits", "maxDrawdown", "followerCount", "eventsFolded")
      VALUES (${ids[v]}::int, ${h * H}::bigint, ${price}::float8, greatest(${pnl + deposits}::numeric, 0), ${pnl}::numeric, ${deposits}::numeric,
              ${dd}::float8, ${followers}::int, 1)`;
  }
});
afterAll(async () => {
  await db.close();
  await tdb.drop();
});

it('a window: start at the close of the bucket holding its start, drawdown from the start price', async () => {
  const w = await readVaultWindow(db.sql, ids.A!, 40 * H, 24 * H);
  expect(w).toMatchObject({ pnl: -120n, netDeposits: 500n, sharePrice: 1.08, tvl: 1580n, followerCount: 3, maxDrawdown: 0.25 });
  expect(w.return).toBeCloseTo(1.08 / 1.2 - 1, 12);
  expect(w.drawdown).toBeCloseTo(1 - 0.9 / 1.2, 12);
  // The window's end is the bucket holding `at`: any time inside the 40th hour reads the same.
  expect(await readVaultWindow(db.sql, ids.A!, 40 * H + H - 1, 24 * H)).toEqual(w);
});

it('all time: from the initial state (share price 1, nothing deposited)', async () => {
  const w = await readVaultWindow(db.sql, ids.A!, 40 * H, null);
  expect(w).toMatchObject({ pnl: 80n, netDeposits: 1500n });
  expect(w.return).toBeCloseTo(0.08, 12);
  expect(w.drawdown).toBeCloseTo(0.25, 12);
});

it('before the first bucket: no change; a wiped-out start: no return', async () => {
  expect(await readVaultWindow(db.sql, ids.A!, -1, 24 * H)).toEqual({
    return: 0, drawdown: 0, pnl: 0n, netDeposits: 0n, sharePrice: 1, tvl: 0n, followerCount: 0, maxDrawdown: 0,
  });
  expect((await readVaultWindow(db.sql, ids.B!, 40 * H, 24 * H)).return).toBeNull();
});

it('the leaderboard by 24 h and by all-time return, active vaults only, no return last', async () => {
  const by24 = await readLeaderboard(db.sql, 40 * H, '24h');
  expect(by24.map((r) => r.name)).toEqual(['C', 'A', 'B']);
  expect(by24[0]!.return24h).toBeCloseTo(0.05, 12);
  expect(by24[1]!.return24h).toBeCloseTo(-0.1, 12);
  expect(by24[2]!.return24h).toBeNull();
  const byAll = await readLeaderboard(db.sql, 40 * H, 'all');
  expect(byAll.map((r) => [r.name, r.returnAll])).toEqual([['A', expect.closeTo(0.08, 12)], ['C', expect.closeTo(0.05, 12)], ['B', -1]]);
  // 7 days back is before every bucket: the return since the start.
  expect(byAll[0]!.return7d).toBeCloseTo(0.08, 12);
  expect(await latestSeriesTime(db.sql)).toBe(40 * H);
});
