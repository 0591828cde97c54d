import { Producer, createRedis } from '@vaults/shared';
import { Harness, TEST_REDIS_URL, createTestDatabase, trade, uniqueQueueSuffix, waitUntil, type TestDatabase } from '@vaults/testkit';
import { tradeWorker } from '@vaults/trade-worker';

// Failed jobs stay FAILED_JOB_RETENTION_DAYS for vaults-ops retry-failed, then go: the worker's
// setting, applied to the producers' jobs too (they name no retention of their own). BullMQ
// trims the failed set by age when a job fails; a job that failed "two days ago" (its score in
// the failed set moved back) goes at the next failure with a retention of one day.

let db: TestDatabase;
let h: Harness;
const suffix = uniqueQueueSuffix();
const redis = createRedis(TEST_REDIS_URL, 'wait');
const producer = new Producer({ connection: redis, queueSuffix: suffix });

beforeAll(async () => {
  db = await createTestDatabase();
  h = new Harness(db.url, suffix, { RETRY_MAX_ATTEMPTS: '1', FAILED_JOB_RETENTION_DAYS: '1' });
  await h.start([tradeWorker]);
});
afterAll(async () => {
  await producer.close();
  await h?.close();
  redis.disconnect();
  await db?.drop();
});

it("removes a producer's failed job older than FAILED_JOB_RETENTION_DAYS and keeps a recent one", async () => {
  const queue = h.queue('trade');
  // Trades of a vault that does not exist: exhausted after one attempt.
  const old = await producer.tradeExecuted(trade(7, '1'));
  await waitUntil(async () => (await queue.getFailedCount()) === 1, 30_000, 'the first job to fail');
  await redis.zadd(queue.keys.failed!, 'XX', Date.now() - 2 * 24 * 3600 * 1000, old.id!);
  const recent = await producer.tradeExecuted(trade(7, '2'));
  await waitUntil(async () => (await queue.getJobState(recent.id!)) === 'failed', 30_000, 'the second job to fail');
  expect(await queue.getJob(old.id!)).toBeUndefined();
  expect(await queue.getFailedCount()).toBe(1);
});
