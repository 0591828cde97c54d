import type { Socket } from 'node:net';
import type IORedis from 'ioredis';
import { createRedis, defineService, startService, tickWrites, type RunningService } from '@vaults/shared';
import { Harness, TEST_REDIS_URL, createTestDatabase, testEnv, toJob, trade, uniqueQueueSuffix, waitUntil, type TestDatabase } from '@vaults/testkit';

// The jobs of a committed batch resume together; their completions (BullMQ's moveToFinished,
// one script call each) must leave the worker in one socket write, not one system call per job
// (platform/tick-writes.ts). Against the real Redis.

/** Counts the socket's system-call writes: `_write` for one chunk, `_writev` for several (chunks per call). */
function countWrites(stream: Socket): number[] {
  const calls: number[] = [];
  const s = stream as unknown as { _write: (...a: unknown[]) => void; _writev: (chunks: unknown[], cb: unknown) => void };
  const write = s._write.bind(stream);
  const writev = s._writev.bind(stream);
  s._write = (...a) => {
    calls.push(1);
    write(...a);
  };
  s._writev = (chunks, cb) => {
    calls.push(chunks.length);
    writev(chunks, cb);
  };
  return calls;
}

describe('tickWrites', () => {
  it('sends the commands of one run of the microtask queue in one write, and uncorks after it', async () => {
    const redis = createRedis(TEST_REDIS_URL, 'wait') as IORedis;
    try {
      await redis.ping();
      const calls = countWrites(redis.stream as Socket);
      const tick = tickWrites(redis);
      const replies = Array.from({ length: 10 }, (_, i) =>
        Promise.resolve().then(() => {
          tick();
          return redis.echo(`m${i}`);
        }),
      );
      expect(await Promise.all(replies)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
      expect(calls).toEqual([10]);
      expect((redis.stream as Socket).writableCorked).toBe(0);
      // Later commands are not held back.
      expect(await redis.echo('after')).toBe('after');
      expect(calls).toEqual([10, 1]);
    } finally {
      redis.disconnect();
    }
  });
});

describe('a worker whose jobs finish together', () => {
  let db: TestDatabase;
  let service: RunningService;
  let harness: Harness;
  const JOBS = 20;
  let started = 0;
  let release!: () => void;
  const together = new Promise<void>((r) => (release = r));

  beforeAll(async () => {
    db = await createTestDatabase();
    const suffix = uniqueQueueSuffix();
    // The handlers stand for a batch's jobs: each waits until all have started, then all resume at once.
    const def = defineService({
      name: 'trade-worker',
      queue: 'trade',
      handlers: {
        TradeExecuted: async () => {
          if (++started === JOBS) release();
          await together;
        },
      },
      createDeps: () => ({}),
    });
    service = await startService(def, { env: testEnv(db.url, { WORKER_CONCURRENCY: String(JOBS) }), queueSuffix: suffix });
    harness = new Harness(db.url, suffix);
  });

  afterAll(async () => {
    await harness?.close();
    await service?.close();
    await db?.drop();
  });

  it('completes them in one socket write', async () => {
    // The lanes' shared connection (the one the runner made), as BullMQ wraps it.
    const backend = service.worker.lanes[0]!.getBackend() as unknown as { client: Promise<IORedis> | IORedis };
    const calls = countWrites((await backend.client).stream as Socket);
    const queue = harness.queue('trade');
    await queue.addBulk(Array.from({ length: JOBS }, (_, i) => toJob(trade(1, BigInt(i + 1)))).map(([, name, data]) => ({ name, data })));
    await waitUntil(async () => (await queue.getJobCounts('completed')).completed === JOBS, 30_000, 'the jobs to complete');
    // One write carried every completion (each a script call); without the cork, the largest
    // write carries one or a few.
    expect(Math.max(...calls)).toBeGreaterThanOrEqual(JOBS);
  });
});
