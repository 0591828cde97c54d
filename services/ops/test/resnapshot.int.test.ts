import { Client } from 'pg';
import { Harness, TEST_REDIS_URL, addr, createTestDatabase, deploy, follower, trade, uniqueQueueSuffix, type TestDatabase } from '@vaults/testkit';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { tradeWorker } from '@vaults/trade-worker';
import { vaultWorker } from '@vaults/vault-worker';
import { followerWorker } from '@vaults/follower-worker';
import { ops } from './support';

// resnapshot brings a vault's metrics back after its Vault row was edited; --recompute also after
// its stored fold state was (the plain snapshot resumes from that state, so it cannot).

let db: TestDatabase;
let h: Harness;
let pg: Client;
const suffix = uniqueQueueSuffix();
const env = () => ({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL });

beforeAll(async () => {
  db = await createTestDatabase();
  h = new Harness(db.url, suffix);
  await h.start([vaultWorker, tradeWorker, followerWorker, snapshotWorker]);
  pg = new Client({ connectionString: db.url });
  await pg.connect();
  const events = [];
  for (const v of [1, 2]) {
    events.push(deploy(v, 100 + v), follower(v, 200, 'DEPOSIT', 1_000_000n, { blockNumber: 5 }), follower(v, 201, 'DEPOSIT', 500_000n, { blockNumber: 6 }));
    // One log per (block, log index): the identity is (chainId, blockHash, logIndex), so the two
    // vaults' trades of one block need their own log indexes.
    for (let i = 0; i < 12; i++) events.push(trade(v, BigInt((i % 3 === 0 ? -1 : 1) * (1000 + 137 * i * v)), { blockNumber: 10 + i, logIndex: 100 * v + i }));
  }
  await h.deliver(events);
  await h.drained();
});

afterAll(async () => {
  await pg?.end();
  await h?.close();
  await db?.drop();
});

type Metrics = { address: string; tvl: string; roi: number; drawdown: number };
const metrics = async (): Promise<Metrics[]> =>
  (await pg.query<Metrics>(`SELECT "contractAddress" AS address, tvl::text AS tvl, roi, drawdown FROM "Vault" ORDER BY id`)).rows;

it('resnapshot --vault restores a hand-edited Vault row; --all every vault', async () => {
  const good = await metrics();
  expect(good.map((m) => m.address)).toEqual([addr(1), addr(2)]);
  expect(good.every((m) => m.roi !== 0 && m.drawdown > 0)).toBe(true);
  await pg.query(`UPDATE "Vault" SET tvl = 1, roi = 9.5, drawdown = 0.99`);

  const one = await ops(['resnapshot', '--vault', `1:${addr(1).toUpperCase().replace('0X', '0x')}`], env(), suffix);
  expect(one).toMatchObject({ code: 0, err: '' });
  expect(one.out).toMatch(/summary: 1 snapshot request\(s\) queued on SnapshotCalculationQueue/);
  await h.drained();
  const afterOne = await metrics();
  expect(afterOne[0]).toEqual(good[0]);
  expect(afterOne[1]).toMatchObject({ tvl: '1', roi: 9.5 });

  const all = await ops(['resnapshot', '--all'], env(), suffix);
  expect(all.out).toMatch(/summary: 2 snapshot request\(s\) queued/);
  await h.drained();
  expect(await metrics()).toEqual(good);
});

it('resnapshot --recompute restores metrics whose stored fold state was edited; a plain one does not', async () => {
  const good = await metrics();
  const tamper = async () => {
    await pg.query(`UPDATE "VaultMetricsState" SET equity = equity * 3, "sharePrice" = "sharePrice" * 2, peak = peak * 2, "maxDrawdown" = 0`);
    await pg.query(`UPDATE "VaultCheckpoint" SET equity = equity * 3, "sharePrice" = "sharePrice" * 2`);
    await pg.query(`UPDATE "Vault" SET tvl = 1, roi = 9.5, drawdown = 0.99`);
  };
  await tamper();
  await ops(['resnapshot', '--all'], env(), suffix);
  await h.drained();
  expect(await metrics()).not.toEqual(good);

  const r = await ops(['resnapshot', '--all', '--recompute'], env(), suffix);
  expect(r).toMatchObject({ code: 0, err: '' });
  expect(r.out).toMatch(/2 vault\(s\) marked to recompute from their first event/);
  await h.drained();
  expect(await metrics()).toEqual(good);
});

it('fails (exit 1) for a vault that is not in the database', async () => {
  const r = await ops(['resnapshot', '--vault', `1:${addr(99)}`], env(), suffix);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/no vault 1:0x0+63 in the database/);
});
