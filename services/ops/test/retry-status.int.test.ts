import { Client } from 'pg';
import { QUEUES } from '@vaults/shared';
import { Harness, TEST_REDIS_URL, addr, createTestDatabase, deploy, trade, uniqueQueueSuffix, waitUntil, type TestDatabase } from '@vaults/testkit';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { tradeWorker } from '@vaults/trade-worker';
import { vaultWorker } from '@vaults/vault-worker';
import { ops } from './support';

// status counts each queue's failed jobs by reason, as the real workers failed them; retry-failed
// by queue and reason re-runs exactly those jobs (attempts reset), and they then take effect.

let db: TestDatabase;
let h: Harness;
let pg: Client;
const suffix = uniqueQueueSuffix();
const env = () => ({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL });
const TQ = QUEUES.trade.name;

beforeAll(async () => {
  db = await createTestDatabase();
  // Two attempts: a trade of a vault not deployed yet is exhausted quickly.
  h = new Harness(db.url, suffix, { RETRY_MAX_ATTEMPTS: '2' });
  await h.start([vaultWorker, tradeWorker, snapshotWorker]);
  pg = new Client({ connectionString: db.url });
  await pg.connect();
});

afterAll(async () => {
  await pg?.end();
  await h?.close();
  await db?.drop();
});

const tradesOf = async (vault: number) =>
  Number((await pg.query(`SELECT count(*) FROM "Trade" t JOIN "Vault" v ON v.id = t."vaultId" WHERE v."contractAddress" = $1`, [addr(vault)])).rows[0].count);
const failedCount = () => h.queue('trade').getFailedCount();

it('status shows the failed jobs by reason; retry-failed re-runs the exhausted ones, which then take effect', async () => {
  // vault 2 exists; vault 1 does not yet (its trades exhaust their two attempts).
  const recorded = trade(2, '5');
  await h.deliver([deploy(2, 20)]);
  await h.drained();
  await h.deliver([recorded, trade(1, '7'), trade(1, '-3')]);
  await h.drained();
  await h.addRaw('trade', 'TradeExecuted', { ...recorded, pnl: '6' }); // conflicting copy
  await h.addRaw('trade', 'TradeExecuted', { chainId: 1 }); // invalid
  await h.addRaw('trade', 'TradeCancelled', {}); // unknown job name
  await waitUntil(async () => (await failedCount()) === 5, 30_000, 'five failed trade jobs');

  const st = await ops(['status'], env(), suffix);
  expect(st).toMatchObject({ code: 0, err: '' });
  expect(st.out).toMatch(new RegExp(`${TQ}\\s+waiting 0  active 0  delayed 0  prioritized 0  failed 5 \\(invalid 1, unknown_job 1, conflicting_copy 1, exhausted 2\\)`));
  expect(st.out).toMatch(/no stream yet/);
  expect(st.out).toMatch(/summary: 0 indexer stream\(s\); 0 waiting, 0 active, 0 delayed, 5 failed/);

  await h.deliver([deploy(1, 10)]);
  await h.drained();

  const dry = await ops(['retry-failed', '--queue', TQ, '--reason', 'exhausted', '--dry-run'], env(), suffix);
  expect(dry.code).toBe(0);
  expect(dry.out).toMatch(/would retry 2 of 5 failed job\(s\) on TradeProcessingQueue \(reason exhausted\)/);
  expect(dry.out).toMatch(/summary: dry run, nothing changed: 2 to retry, 3 left failed/);
  expect(await failedCount()).toBe(5);
  expect(await tradesOf(1)).toBe(0);

  const one = await ops(['retry-failed', '--queue', TQ, '--reason', 'exhausted', '--limit', '1'], env(), suffix);
  expect(one.out).toMatch(/summary: 1 retried, 4 left failed/);
  await h.drained();
  expect(await tradesOf(1)).toBe(1);

  const rest = await ops(['retry-failed', '--queue', TQ, '--reason', 'exhausted'], env(), suffix);
  expect(rest.out).toMatch(/summary: 1 retried, 3 left failed/);
  await h.drained();
  expect(await tradesOf(1)).toBe(2);
  expect(await failedCount()).toBe(3);

  // The others fail again when retried: their cause is in the job, not in the system.
  const invalid = await ops(['retry-failed', '--queue', TQ, '--reason', 'invalid'], env(), suffix);
  expect(invalid.out).toMatch(/summary: 1 retried, 2 left failed/);
  await waitUntil(async () => (await failedCount()) === 3, 30_000, 'the invalid job to fail again');
  const after = await ops(['status'], env(), suffix);
  expect(after.out).toMatch(/failed 3 \(invalid 1, unknown_job 1, conflicting_copy 1\)/);
});

it('names the queues when --queue is not one, and fails (exit 1) when Postgres cannot be reached', async () => {
  const bad = await ops(['retry-failed', '--queue', 'Trades'], env(), suffix);
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/--queue "Trades": one of VaultDeployedQueue, TradeProcessingQueue, FollowerEventQueue, SnapshotCalculationQueue/);
  const down = await ops(['status'], { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none', REDIS_URL: TEST_REDIS_URL }, suffix);
  expect(down.code).toBe(1);
  expect(down.err).toMatch(/ECONNREFUSED/);
});
