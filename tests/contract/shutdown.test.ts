import { spawn } from 'node:child_process';
import { serviceEntry } from '@vaults/shared';
import { join } from 'node:path';
import { once } from 'node:events';
import { Harness, createTestDatabase, deploy, testEnv, toJob, trade, uniqueQueueSuffix, waitUntil, type TestDatabase } from '@vaults/testkit';
import { Client } from 'pg';
import { vaultWorker } from '@vaults/vault-worker';

// A rolling update sends SIGTERM to a worker with jobs in flight: readiness turns 503 at once,
// the job finishes and is not redelivered, and the process exits 0.

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

it('finishes the job in flight at SIGTERM, exactly once, and exits 0', async () => {
  const suffix = uniqueQueueSuffix();
  // Queue names carry no suffix in a process; a prefix of its own isolates this test instead.
  const prefix = `shutdown${suffix}`;
  const h = new Harness(db.url, '', { QUEUE_PREFIX: prefix });
  await h.start([vaultWorker]);
  const d = deploy(1, 2);
  await h.deliver([d]);
  await h.drained();

  const port = 19000 + Math.floor(Math.random() * 1000);
  const env = {
    ...process.env,
    ...testEnv(db.url, { QUEUE_PREFIX: prefix, METRICS_PORT: String(port), LOG_LEVEL: 'info' }),
    // The trade waits in the group-commit batch for 1.5 s: long enough to be in flight at SIGTERM.
    BATCH_MAX_WAIT_MS: '1500',
    BATCH_MAX_SIZE: '1000',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../..', serviceEntry('trade-worker'))], {
    cwd: join(__dirname, '../..'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b) => (output += b));
  child.stderr.on('data', (b) => (output += b));
  const exited = once(child, 'exit');
  try {
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status).catch(() => 0)) === 200, 20_000, 'worker ready');

    const t = trade(1, 5n);
    const [key, name, data] = toJob(t);
    const jobId = await h.addRaw(key, name, data);
    await waitUntil(async () => (await h.queue('trade').getJob(jobId))?.processedOn !== undefined, 10_000, 'job active');

    child.kill('SIGTERM');
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status).catch(() => 503)) === 503, 2_000, 'readiness 503');
    const [code] = await exited;
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });

    const job = (await h.queue('trade').getJob(jobId))!;
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsStarted).toBe(1);
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const rows = await c.query('SELECT count(*)::int AS n FROM "Trade"');
    await c.end();
    expect(rows.rows[0].n).toBe(1);
    expect(output).toMatch(/"msg":"stopped"/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await h.close();
  }
});
