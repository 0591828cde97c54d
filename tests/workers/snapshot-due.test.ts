import { Client } from 'pg';
import {
  advanceSnapshot, createDatabase, createMetrics, loadConfig, lockVaultsForWrite, markSnapshotDue, recordDeploy, recordFollowerEvents, recordTrades, vaultEventRecorder,
  type CalculateSnapshotInput, type Database, type FollowerEvent, type Producer, type TradeExecuted,
} from '@vaults/shared';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { Harness, addr, createTestDatabase, deploy, follower, trade, uniqueQueueSuffix, waitUntil, type TestDatabase } from '@vaults/testkit';

// The snapshot-due mark (lock-protocol.ts, rule 6): a writer asks for a vault's snapshot only
// when its batch set the vault's mark; the snapshot deletes it under its exclusive lock; an event
// that was already recorded asks again whatever the mark says. A mark whose request was lost (here:
// the recorders' adds go nowhere) is swept by the snapshot worker, at start-up and periodically.

let db: TestDatabase;
let database: Database;
let pg: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  database = createDatabase(db.url, 4);
  pg = new Client({ connectionString: db.url });
  await pg.connect();
  for (const v of [1, 2]) {
    const { type, ...d } = deploy(v, 100 + v);
    await database.transaction((tx) => recordDeploy(tx, { ...d, removed: false }));
  }
});

afterAll(async () => {
  await pg?.end();
  await database?.close();
  await db?.drop();
});

const tradeOf = (t: ReturnType<typeof trade>): TradeExecuted => {
  const { type, ...rest } = t;
  return { ...rest, removed: false };
};
const followerOf = (f: ReturnType<typeof follower>): FollowerEvent => {
  const { type, ...rest } = f;
  return { ...rest, removed: false } as FollowerEvent;
};

/** The trade and follower recorders of one worker, one event per batch, with the adds they send. */
function recorders() {
  const config = loadConfig({ BATCH_MAX_SIZE: '1', BATCH_MAX_WAIT_MS: '0' }, { concurrency: 1, metricsPort: 0 });
  const metrics = createMetrics('test');
  const adds: string[] = [];
  const producer = {
    calculateSnapshots: async (rs: readonly CalculateSnapshotInput[]) => void adds.push(...rs.map((r) => r.vaultAddress)),
  } as unknown as Producer;
  const infra = { db: database, config, metrics, producer };
  return { trades: vaultEventRecorder(infra, 'record_trades', recordTrades), followers: vaultEventRecorder(infra, 'record_follower_events', recordFollowerEvents), adds };
}

const marks = async () =>
  (await pg.query(`SELECT v."contractAddress" AS a FROM "VaultSnapshotDue" d JOIN "Vault" v ON v.id = d."vaultId" ORDER BY v.id`)).rows.map((r) => r.a as string);
const vaultId = async (v: number) => (await pg.query(`SELECT id FROM "Vault" WHERE "contractAddress" = $1`, [addr(v)])).rows[0].id as number;
const snapshot = async (v: number) => {
  const id = await vaultId(v);
  await database.transaction((tx) => advanceSnapshot(tx, id, 1000));
};

it('asks for a snapshot only from the batch that set the mark, again after a snapshot, and always for an event already recorded', async () => {
  const { trades, followers, adds } = recorders();
  const first = tradeOf(trade(1, 5n, { blockNumber: 10, logIndex: 1 }));
  try {
    // Two batches of vault 1 with no snapshot in between, a trade and a follower event: one add.
    await trades.record(first);
    await followers.record(followerOf(follower(1, 7, 'DEPOSIT', 1000n, { blockNumber: 11, logIndex: 1 })));
    await trades.record(tradeOf(trade(1, 6n, { blockNumber: 12, logIndex: 1 })));
    expect(adds).toEqual([addr(1)]);
    expect(await marks()).toEqual([addr(1)]);

    // Another vault has a mark of its own.
    await trades.record(tradeOf(trade(2, 1n, { blockNumber: 10, logIndex: 2 })));
    expect(adds).toEqual([addr(1), addr(2)]);
    expect(await marks()).toEqual([addr(1), addr(2)]);

    // The snapshot deletes the mark (of its vault only); the next batch sets it again and asks.
    await snapshot(1);
    expect(await marks()).toEqual([addr(2)]);
    await trades.record(tradeOf(trade(1, 7n, { blockNumber: 13, logIndex: 1 })));
    expect(adds).toEqual([addr(1), addr(2), addr(1)]);

    // A redelivered event (a crash between the commit and the add) asks, although the mark is set.
    expect(await marks()).toEqual([addr(1), addr(2)]);
    expect(await trades.record(first)).toBe('duplicate');
    expect(adds).toEqual([addr(1), addr(2), addr(1), addr(1)]);
  } finally {
    await trades.close();
    await followers.close();
  }
});

const folded = async () =>
  (await pg.query(`SELECT v."contractAddress" AS a, s."eventsFolded"::int AS n FROM "Vault" v LEFT JOIN "VaultMetricsState" s ON s."vaultId" = v.id ORDER BY v.id`)).rows
    .map((r) => [r.a as string, r.n as number | null]);
const recorded = async () =>
  (await pg.query(`SELECT v."contractAddress" AS a,
                          ((SELECT count(*) FROM "Trade" t WHERE t."vaultId" = v.id) + (SELECT count(*) FROM "FollowerEvent" f WHERE f."vaultId" = v.id AND NOT f.removed))::int AS n
                     FROM "Vault" v ORDER BY v.id`)).rows.map((r) => [r.a as string, r.n as number]);

it('marks whose request was lost are asked for by the snapshot worker: at start-up, then those older than the sweep interval', async () => {
  // The first test left both vaults marked, their adds lost, vault 1 with events not folded.
  expect(await marks()).toEqual([addr(1), addr(2)]);
  expect(await folded()).not.toEqual(await recorded());
  const h = new Harness(db.url, uniqueQueueSuffix(), { SNAPSHOT_DUE_SWEEP_MS: '100' });
  const { trades, adds } = recorders();
  try {
    await h.start([snapshotWorker]);
    await h.drained();
    expect(await marks()).toEqual([]);
    expect(await folded()).toEqual(await recorded());

    // A mark set while the worker runs, its add lost: the periodic sweep asks for it.
    await trades.record(tradeOf(trade(2, 9n, { blockNumber: 20, logIndex: 2 })));
    expect(adds).toEqual([addr(2)]);
    expect(await marks()).toEqual([addr(2)]);
    await waitUntil(async () => (await marks()).length === 0, 30_000, 'the sweep to have the marked vault snapshotted');
    await h.drained();
    expect(await folded()).toEqual(await recorded());
    expect(await h.failedReasons('snapshot')).toEqual([]);
  } finally {
    await trades.close();
    await h.close();
  }
});

it('concurrent batches of two workers over the same vaults, in either order: each vault asked for and marked, by at most one batch but those that met another setting its mark', async () => {
  await pg.query(`DELETE FROM "VaultSnapshotDue"`);
  const config = loadConfig({ BATCH_MAX_SIZE: '20', BATCH_MAX_WAIT_MS: '5' }, { concurrency: 1, metricsPort: 0 });
  const adds: string[] = [];
  const producer = {
    calculateSnapshots: async (rs: readonly CalculateSnapshotInput[]) => void adds.push(...rs.map((r) => r.vaultAddress)),
  } as unknown as Producer;
  const metrics = [1, 2].map(() => createMetrics('test'));
  const workers = metrics.map((m) => vaultEventRecorder({ db: database, config, metrics: m, producer }, 'record_trades', recordTrades));
  try {
    // Worker 0's batches name vault 1 first, worker 1's vault 2 first.
    await Promise.all(
      workers.flatMap((w, k) =>
        Array.from({ length: 40 }, (_, i) => w.record(tradeOf(trade(((i + k) % 2) + 1, BigInt(i), { blockNumber: 100 + k, logIndex: i })))),
      ),
    );
    // More than once only when batches set a vault's mark at the same moment (each asks then).
    expect([...new Set(adds)].sort()).toEqual([addr(1), addr(2)]);
    let batches = 0;
    for (const m of metrics) batches += (await m.batchSize.get()).values.find((v) => v.metricName === 'vaults_db_batch_size_jobs_count')!.value;
    expect(adds.length).toBeLessThanOrEqual(2 * batches);
    expect(await marks()).toEqual([addr(1), addr(2)]);
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
});

it('a batch that meets another writer setting the mark does not wait for that writer: it asks itself', async () => {
  await pg.query(`DELETE FROM "VaultSnapshotDue"`);
  const { trades, adds } = recorders();
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let marking: () => void = () => undefined;
  const marked = new Promise<void>((resolve) => (marking = resolve));
  // Another writer's transaction, its mark of vault 1 inserted and not committed yet.
  const other = database.transaction(async (tx) => {
    await lockVaultsForWrite(tx, [{ chainId: 1, vaultAddress: addr(1) }]);
    const mine = await markSnapshotDue(tx, [{ chainId: 1, vaultAddress: addr(1) }]);
    marking();
    await held;
    return mine;
  });
  try {
    await marked;
    const recorded = trades.record(tradeOf(trade(1, 3n, { blockNumber: 30, logIndex: 1 })));
    let settled = false;
    const waiting = waitUntil(async () => {
      if (settled) return true;
      const r = await pg.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'transactionid'`);
      return r.rows[0].n > 0;
    }, 30_000, 'a writer waiting for another transaction').then(() => 'waited' as const);
    const first = await Promise.race([recorded.then(() => 'recorded' as const), waiting]);
    settled = true;
    await waiting;
    expect(first).toBe('recorded');
    expect(adds).toEqual([addr(1)]);
  } finally {
    release();
    await other;
    await trades.close();
  }
  expect(await marks()).toEqual([addr(1)]);
});

it('marks only under the writer locks of the same transaction: markSnapshotDue takes the vault ids that lockVaultsForWrite found', async () => {
  await expect(database.transaction((tx) => markSnapshotDue(tx, [{ chainId: 1, vaultAddress: addr(1) }]))).rejects.toThrow(/lockVaultsForWrite/);
  // A vault the lock statement did not find (not deployed) has no mark, and asks nothing.
  await pg.query(`DELETE FROM "VaultSnapshotDue"`);
  const asked = await database.transaction(async (tx) => {
    await lockVaultsForWrite(tx, [{ chainId: 1, vaultAddress: addr(1) }, { chainId: 1, vaultAddress: addr(99) }]);
    return markSnapshotDue(tx, [{ chainId: 1, vaultAddress: addr(1) }, { chainId: 1, vaultAddress: addr(99) }]);
  });
  expect([...asked]).toEqual([`1:${addr(1)}`]);
  expect(await marks()).toEqual([addr(1)]);
});
