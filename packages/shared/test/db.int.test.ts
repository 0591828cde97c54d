import { createDatabase, type Database } from '@vaults/shared';
import { createTestDatabase, type TestDatabase } from '@vaults/testkit';

// db.transaction sends BEGIN pipelined with the first statement (one round trip less): that
// statement must still be inside the transaction, and a failure anywhere must undo all of it.

let tdb: TestDatabase;
let db: Database;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDatabase(tdb.url, 2);
  await db.sql.execute`CREATE TABLE t (v int PRIMARY KEY)`;
});

afterAll(async () => {
  await db.close();
  await tdb.drop();
});

const values = async () => (await db.sql.query<{ v: number }>`SELECT v FROM t ORDER BY v`).map((r) => r.v);

beforeEach(async () => {
  await db.sql.execute`TRUNCATE t`;
});

it('runs the first statement inside the transaction: a later throw undoes it', async () => {
  await expect(
    db.transaction(async (tx) => {
      await tx.execute`INSERT INTO t VALUES (1)`;
      throw new Error('after the first statement');
    }),
  ).rejects.toThrow('after the first statement');
  expect(await values()).toEqual([]);
});

it('sees one transaction from first to last statement (one backend, one transaction id)', async () => {
  const ids = await db.transaction(async (tx) => {
    const [a] = await tx.query<{ x: string; p: number }>`SELECT txid_current()::text AS x, pg_backend_pid() AS p`;
    await tx.execute`INSERT INTO t VALUES (2)`;
    const [b] = await tx.query<{ x: string; p: number }>`SELECT txid_current()::text AS x, pg_backend_pid() AS p`;
    return [a, b];
  });
  expect(ids[0]).toEqual(ids[1]);
  expect(await values()).toEqual([2]);
});

it('a failing statement fails the transaction and keeps nothing of it; the pool stays usable', async () => {
  await expect(
    db.transaction(async (tx) => {
      await tx.execute`INSERT INTO t VALUES (3)`;
      await tx.execute`INSERT INTO t VALUES (3)`;
    }),
  ).rejects.toThrow(/duplicate key/);
  expect(await values()).toEqual([]);
  await db.transaction((tx) => tx.execute`INSERT INTO t VALUES (4)`);
  expect(await values()).toEqual([4]);
});

it('statements issued together without awaiting run in order within the transaction', async () => {
  await db.transaction(async (tx) => {
    await Promise.all([tx.execute`INSERT INTO t VALUES (5)`, tx.execute`UPDATE t SET v = 6 WHERE v = 5`]);
  });
  expect(await values()).toEqual([6]);
});

it('writes BEGIN and the first statement to the socket together: one write, not two (then COMMIT)', async () => {
  await db.sql.query`SELECT 1`; // a pooled connection, ready
  const { Socket } = await import('node:net');
  const writes = [jest.spyOn(Socket.prototype, '_write' as never), jest.spyOn(Socket.prototype, '_writev' as never)];
  try {
    await db.transaction(async (tx) => {
      await tx.execute`INSERT INTO t VALUES (7)`;
    });
    expect(writes.reduce((n, w) => n + w.mock.calls.length, 0)).toBe(2);
  } finally {
    for (const w of writes) w.mockRestore();
  }
  expect(await values()).toEqual([7]);
});
