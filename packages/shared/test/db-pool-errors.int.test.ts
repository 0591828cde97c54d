import { Writable } from 'node:stream';
import { Client } from 'pg';
import { createDatabase, createLogger } from '@vaults/shared';
import { createTestDatabase, waitUntil, type TestDatabase } from '@vaults/testkit';

// An idle pooled connection that dies (a database restart, a fail-over, a pooler closing it) is
// replaced by the pool; the process must not crash, and the operator must see it in the logs.

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

it('logs the error of an idle pooled connection that was terminated, with its stack', async () => {
  const lines: { level: number; msg: string; err?: { message: string; stack: string } }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const db = createDatabase(tdb.url, 1, { log: createLogger('t', 'info', { destination }) });
  const admin = new Client({ connectionString: tdb.url });
  await admin.connect();
  try {
    const [row] = await db.sql.query<{ pid: number }>`SELECT pg_backend_pid() AS pid`;
    const pid = row!.pid;
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await waitUntil(() => lines.some((l) => l.err), 10_000, 'the pool error to be logged');
    expect(lines[0]).toMatchObject({ level: 40, msg: expect.stringMatching(/database connection lost/), err: { message: expect.stringMatching(/terminat/) } });
    expect(lines[0]!.err!.stack).toBeTruthy();
    await db.ping(); // the pool replaced the connection
  } finally {
    await admin.end();
    await db.close();
  }
});
