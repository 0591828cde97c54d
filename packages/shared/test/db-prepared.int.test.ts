import { createDatabase, type Database } from '@vaults/shared';
import { createTestDatabase, type TestDatabase } from '@vaults/testkit';

// db.transaction with `prepared`: each statement text is prepared once per connection and then
// executed by name; the results are those of the unnamed statement. A prepared statement whose
// result columns change (a migration adds a column to a table it returns with *) fails on its
// connection until that connection is closed: the transaction fails, the connection is
// discarded, and the next transaction (the job's retry) succeeds.

let tdb: TestDatabase;
let db: Database;
const warnings: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDatabase(tdb.url, 1, { prepared: true, log: { warn: (_obj: unknown, msg?: string) => void warnings.push(msg ?? '') } as never });
  await db.sql.execute`CREATE TABLE p (v int PRIMARY KEY)`;
  await db.sql.execute`INSERT INTO p VALUES (1), (2)`;
});

afterAll(async () => {
  await db.close();
  await tdb.drop();
});

const read = (min: number) => db.transaction((tx) => tx.query<Record<string, unknown>>`SELECT * FROM p WHERE v >= ${min}::int ORDER BY v`);

it('prepares a statement once per connection and runs it by name with each call’s parameters', async () => {
  expect(await read(1)).toEqual([{ v: 1 }, { v: 2 }]);
  expect(await read(2)).toEqual([{ v: 2 }]);
  const [prepared] = await db.transaction((tx) => tx.query<{ n: string }>`SELECT count(*)::text AS n FROM pg_prepared_statements WHERE statement LIKE '%FROM p WHERE v >=%' AND statement NOT LIKE '%pg_prepared_statements%'`);
  expect(prepared!.n).toBe('1');
});

it('discards the connection of a prepared statement whose result type changed: the next transaction succeeds', async () => {
  const pid = async () => (await db.transaction((tx) => tx.query<{ pid: number }>`SELECT pg_backend_pid() AS pid`))[0]!.pid;
  expect(await read(1)).toEqual([{ v: 1 }, { v: 2 }]);
  const before = await pid();
  await db.sql.execute`ALTER TABLE p ADD COLUMN w int NOT NULL DEFAULT 7`;
  await expect(read(1)).rejects.toThrow('cached plan must not change result type');
  expect(await read(1)).toEqual([{ v: 1, w: 7 }, { v: 2, w: 7 }]);
  expect(await pid()).not.toBe(before);
});

it('falls back to unnamed statements when the server connection does not have its prepared statements (a transaction pooler)', async () => {
  // What PgBouncer in transaction mode without prepared-statement tracking does: the next
  // transaction runs on a server connection where the name is unknown. DEALLOCATE ALL on the one
  // pooled connection makes the server forget what the client believes it prepared.
  const preparedCount = async () =>
    (await db.sql.query<{ n: string }>`SELECT count(*)::text AS n FROM pg_prepared_statements`)[0]!.n;
  expect(await read(1)).toHaveLength(2);
  expect(Number(await preparedCount())).toBeGreaterThan(0);
  await db.sql.execute`DEALLOCATE ALL`;
  await expect(read(1)).rejects.toThrow(/prepared statement .* does not exist/);
  expect(warnings.filter((w) => w.includes('DB_PREPARED_STATEMENTS=off'))).toHaveLength(1);
  // From then on unnamed: the transactions succeed and prepare nothing.
  expect(await read(1)).toHaveLength(2);
  expect(await read(2)).toHaveLength(1);
  expect(await preparedCount()).toBe('0');
});
