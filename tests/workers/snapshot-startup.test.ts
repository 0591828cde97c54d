import { Client } from 'pg';
import { Producer, createDatabase, createRedis, requestMarkedSnapshots } from '@vaults/shared';
import { followerWorker } from '@vaults/follower-worker';
import { snapshotWorker } from '@vaults/snapshot-worker';
import {
  Harness, TEST_REDIS_URL, addr, createTestDatabase, deploy, diffSeries, expectedSeries, follower, readSeries, trade, uniqueQueueSuffix,
  type AnyEvent, type TestDatabase,
} from '@vaults/testkit';
import { tradeWorker } from '@vaults/trade-worker';
import { vaultWorker } from '@vaults/vault-worker';

// A release whose migration marks vaults to fold again (the vault series' migration marks every
// vault) needs every marked vault snapshotted; but the writers ask for a vault's snapshot only
// when it has a new event. The snapshot worker asks for the marked vaults' snapshots itself when
// it starts.

const BUCKET_SECONDS = 3600;
const T0 = 1_700_000_000;

let db: TestDatabase;
let pg: Client;
const events: AnyEvent[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  pg = new Client({ connectionString: db.url });
  await pg.connect();
  for (const v of [1, 2, 3]) {
    events.push(deploy(v, 100 + v), follower(v, 200, 'DEPOSIT', 1_000_000n, { blockNumber: 5, logIndex: v, blockTimestamp: T0 }));
    for (let i = 0; i < 6; i++) {
      events.push(trade(v, BigInt((i % 3 === 0 ? -1 : 1) * (1000 + 137 * i * v)), { blockNumber: 10 + i, logIndex: 100 * v + i, blockTimestamp: T0 + 1800 * i }));
    }
  }
  const h = new Harness(db.url, uniqueQueueSuffix());
  try {
    await h.start([vaultWorker, tradeWorker, followerWorker, snapshotWorker]);
    await h.deliver(events);
    await h.drained();
  } finally {
    await h.close();
  }
});

afterAll(async () => {
  await pg?.end();
  await db?.drop();
});

const seriesDiff = async () => diffSeries(expectedSeries(events, BUCKET_SECONDS), await readSeries(db.url));
const marked = async () => (await pg.query(`SELECT count(*)::int AS n FROM "VaultMetricsState" WHERE "recomputeFromBlock" IS NOT NULL`)).rows[0].n as number;

/** What the series migration (20261207120000_vault_series) leaves: no series, every vault marked to fold again from the origin. */
async function asAfterTheSeriesMigration(): Promise<void> {
  await pg.query(`DELETE FROM "VaultSeries"`);
  await pg.query(`DELETE FROM "VaultSeriesCheckpoint"`);
  await pg.query(`UPDATE "VaultMetricsState" SET "recomputeFromBlock" = -1, "recomputeFromLogIndex" = -1`);
}

it('vaults marked to recompute or folded without their series, with no new event, have their series once the snapshot worker has started', async () => {
  expect(await seriesDiff()).toEqual([]);
  await asAfterTheSeriesMigration();
  // Vault 2 then folded by a previous release's worker (rolling update): its mark cleared, no series written.
  await pg.query(`UPDATE "VaultMetricsState" s SET "recomputeFromBlock" = NULL, "recomputeFromLogIndex" = NULL
                     FROM "Vault" v WHERE v.id = s."vaultId" AND v."contractAddress" = $1`, [addr(2)]);
  expect(await marked()).toBe(2);
  expect((await seriesDiff()).length).toBeGreaterThan(0);

  const h = new Harness(db.url, uniqueQueueSuffix());
  try {
    await h.start([snapshotWorker]);
    await h.drained();
    expect(await seriesDiff()).toEqual([]);
    expect(await marked()).toBe(0);
    expect(await h.failedReasons('snapshot')).toEqual([]);
  } finally {
    await h.close();
  }
});

it('two replicas starting at once, a chunk of one vault at a time: one snapshot job per marked vault', async () => {
  await pg.query(`UPDATE "VaultMetricsState" s SET "recomputeFromBlock" = -1, "recomputeFromLogIndex" = -1
                     FROM "Vault" v WHERE v.id = s."vaultId" AND v."contractAddress" <> $1`, [addr(2)]);
  const database = createDatabase(db.url, 2);
  const redis = createRedis(TEST_REDIS_URL, 'wait');
  const producer = new Producer({ connection: redis, queueSuffix: uniqueQueueSuffix(), failFast: false });
  const queue = producer.queue('snapshot');
  try {
    const counts = await Promise.all([1, 2].map(() => requestMarkedSnapshots(database, producer, 1)));
    expect(counts).toEqual([2, 2]);
    const waiting = await queue.getWaiting();
    expect(waiting.map((j) => j.data.vaultAddress).sort()).toEqual([addr(1), addr(3)]);
  } finally {
    await queue.obliterate({ force: true });
    await producer.close();
    redis.disconnect();
    await database.close();
  }
});
