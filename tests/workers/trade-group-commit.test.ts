import { Client } from 'pg';
import { createDatabase, createMetrics, loadConfig, type Database, type TradeExecuted, recordDeploy, recordTrades, vaultEventRecorder, type Producer } from '@vaults/shared';
import { createTestDatabase, deploy, trade, type TestDatabase } from '@vaults/testkit';

// Group commit against the real database: concurrent trades share one transaction, and a row
// the database rejects fails only its own job (the batch is retried row by row).

let db: TestDatabase;
let database: Database;

beforeAll(async () => {
  db = await createTestDatabase();
  database = createDatabase(db.url, 4);
  const { type, ...d } = deploy(1, 2);
  await database.transaction((tx) => recordDeploy(tx, { ...d, removed: false }));
});

afterAll(async () => {
  await database.close();
  await db.drop();
});

const payload = (t: ReturnType<typeof trade>): TradeExecuted => {
  const { type, ...rest } = t;
  return { ...rest, removed: false };
};

it('commits a batch together, and a poison row fails only its own job', async () => {
  const config = loadConfig({ BATCH_MAX_SIZE: '50', BATCH_MAX_WAIT_MS: '20' }, { concurrency: 1, metricsPort: 0 });
  const metrics = createMetrics('test');
  const requested: unknown[] = [];
  const producer = { calculateSnapshots: async (rs: unknown[]) => void requested.push(...rs) } as unknown as Producer;
  const trades = vaultEventRecorder({ db: database, config, metrics, producer }, 'record_trades', recordTrades);

  const good = Array.from({ length: 9 }, (_, i) => payload(trade(1, BigInt(i + 1))));
  // Valid by type but not by the database: 10^80 does not fit numeric(78,0). Zod would stop it
  // at the door; here it stands for any row the database refuses.
  const poison = { ...payload(trade(1, 1n)), amountIn: (10n ** 80n).toString() };
  const results = await Promise.allSettled([...good.slice(0, 4), poison, ...good.slice(4)].map((t) => trades.record(t)));

  expect(results.map((r) => r.status)).toEqual([...Array(4).fill('fulfilled'), 'rejected', ...Array(5).fill('fulfilled')]);
  expect((results[4] as PromiseRejectedResult).reason.message).toMatch(/numeric field overflow|out of range/i);
  expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<string>).value)).toEqual(Array(9).fill('applied'));

  // First one transaction for all ten, then (it failed) ten on their own.
  const batches = (await metrics.batchSize.get()).values.find((v) => v.metricName === 'vaults_db_batch_size_jobs_count');
  expect(batches?.value).toBe(11);
  // Each trade that took effect asked for its vault's snapshot (requests of one moment share an add).
  expect(requested.length).toBeGreaterThanOrEqual(1);
  expect(new Set(requested.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify({ chainId: 1, vaultAddress: payload(trade(1, 1n)).vaultAddress })]));

  const c = new Client({ connectionString: db.url });
  await c.connect();
  const r = await c.query('SELECT count(*)::int AS trades, (SELECT count(*)::int FROM "TradeEvent") AS identities FROM "Trade"');
  await c.end();
  expect(r.rows[0]).toEqual({ trades: 9, identities: 9 });
});
