import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TEST_REDIS_URL, createTestDatabase, waitUntil, type TestDatabase } from '@vaults/testkit';
import { startIndexer, type RunningIndexer } from '../src/service';
import { RpcProxy } from './support/rpc-proxy';

// status() is read by tests, logs and the ops CLI at any time: it must answer between taking the
// writer lock and the end of the indexer's init() (it once threw a TypeError there).
// The window is held open deterministically: a transaction of the test locks a table init() reads.

let db: TestDatabase;
let node: RpcProxy;
let ix: RunningIndexer | undefined;
const holder = { client: undefined as Client | undefined };

beforeAll(async () => {
  db = await createTestDatabase('vaults_indexer_status');
  node = await RpcProxy.start('http://127.0.0.1:9'); // answers eth_chainId itself; nothing else is asked
  node.results.set('eth_chainId', '0x7a69');
});
afterAll(async () => {
  await holder.client?.end().catch(() => undefined);
  await ix?.close();
  await node.close();
  await db.drop();
});

it('status() answers while init() is under way (leader, no cursor yet), then reports the cursor', async () => {
  const c = new Client({ connectionString: db.url });
  holder.client = c;
  await c.connect();
  await c.query('BEGIN');
  await c.query('LOCK TABLE "IndexerVault" IN ACCESS EXCLUSIVE MODE'); // init() reads the vaults: it waits here
  ix = await startIndexer({
    env: {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: `status-${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: 'silent',
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      RPC_URL: node.url(),
      FACTORY_ADDRESS: '0x00000000000000000000000000000000000000aa',
      START_BLOCK: '5',
      POLL_INTERVAL_MS: '50',
      LOCK_RETRY_MS: '50',
    },
  });
  const running = ix;
  // The indexer's init() is blocked on the lock: it holds the writer lock and has not finished.
  await waitUntil(
    async () => {
      await c.query('SELECT pg_stat_clear_snapshot()'); // inside a transaction the view is a snapshot
      const r = await c.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%IndexerVault%'`,
      );
      return Number(r.rows[0]!.n) > 0;
    },
    30_000,
    "the indexer's init() to wait on the locked table",
  );
  expect(running.status()).toEqual({ leader: true, cursor: null, deepReorg: false });
  await c.query('COMMIT');
  await waitUntil(() => running.status().cursor !== null, 30_000, 'init() to finish');
  expect(running.status()).toEqual({ leader: true, cursor: 4, deepReorg: false });
});
