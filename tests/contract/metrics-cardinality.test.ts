import { randomBytes } from 'node:crypto';
import { QUEUES } from '@vaults/shared';
import { TEST_REDIS_URL, createTestDatabase, type TestDatabase } from '@vaults/testkit';
import { describeFlood, floodNames, floodProblems } from '../faults/lib/name-flood';
import { WorkerProcess } from '../faults/lib/workers';

// Metric labels take values only from sets the code defines: a producer that sends 20,000
// distinct job names adds one `unknown` series, not 20,000 label sets. The worker runs as its
// own process with the image's heap cap while /metrics is scraped back to back; before this
// rule the series count grew by ~17 per name and a scrape ran the worker out of heap.

const NAMES = Number(process.env.NAME_FLOOD_NAMES ?? 20_000);
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

it(`keeps /metrics bounded and the worker alive under a flood of ${NAMES} distinct job names`, async () => {
  const prefix = `flood${randomBytes(4).toString('hex')}`;
  const worker = new WorkerProcess('trade-worker', {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'error',
    NODE_OPTIONS: '--max-old-space-size=128',
  });
  try {
    await worker.ready();
    const r = await floodNames({ worker, redisUrl: TEST_REDIS_URL, prefix, queue: QUEUES.trade.name, names: NAMES, timeoutMs: 150_000 });
    console.log(`name flood: ${describeFlood(r)}`);
    expect(floodProblems(r)).toEqual([]);
    const body = (await worker.get('/metrics')).body;
    expect(body).toMatch(/vaults_jobs_failed_total\{queue="TradeProcessingQueue",job_name="unknown",reason="unknown_job"[^}]*\} \d+/);
    expect(body).not.toMatch(/made-up-name/);
  } finally {
    await worker.terminate(15_000);
  }
}, 240_000);
