import { randomBytes } from 'node:crypto';
import { TEST_REDIS_URL, createTestDatabase, type TestDatabase } from '@vaults/testkit';
import { WorkerProcess } from '../faults/lib/workers';

// A log pipeline parses every line a worker writes: its own lines (a signal, a failed start-up)
// are pino JSON like the rest, not plain text on stderr.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const parsed = (lines: string[]) => lines.map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return l; } });

it('a worker stopped by SIGTERM writes only JSON lines, the signal among them', async () => {
  const w = new WorkerProcess('trade-worker', { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: `logs${randomBytes(4).toString('hex')}`, LOG_LEVEL: 'info' });
  await w.ready();
  const exit = await w.terminate(20_000);
  expect(exit.code).toBe(0);
  const lines = parsed(w.lines);
  expect(lines.filter((l) => typeof l === 'string')).toEqual([]);
  expect(lines).toContainEqual(expect.objectContaining({ service: 'trade-worker', signal: 'SIGTERM', msg: 'stopping' }));
}, 120_000);

it('a worker that cannot start writes one fatal JSON line naming the bad variable, and exits 1', async () => {
  const w = new WorkerProcess('trade-worker', { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, WORKER_CONCURRENCY: 'many' });
  const exit = await w.exited;
  expect(exit.code).toBe(1);
  const lines = parsed(w.lines);
  expect(lines.filter((l) => typeof l === 'string')).toEqual([]);
  expect(lines).toContainEqual(
    expect.objectContaining({ level: 60, msg: 'failed to start', err: expect.objectContaining({ message: expect.stringMatching(/WORKER_CONCURRENCY/) }) }),
  );
}, 120_000);
