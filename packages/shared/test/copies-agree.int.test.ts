import fc from 'fast-check';
import {
  COPY_FIELDS,
  copyAgrees,
  createDatabase,
  firstDifference,
  recordedAgreesWithExcluded,
  sqlFragment,
  sqlIdentifier,
  sqlJoin,
  type CopyKind,
  type Database,
} from '@vaults/shared';
import { TEST_PG_URL } from '@vaults/testkit';

// "Copies agree" has one field list (COPY_FIELDS): the TypeScript comparison (firstDifference)
// and the SQL predicates the ledger statements run are generated from it, so they must decide
// alike. Checked on Postgres itself, for every kind, on recorded rows with random values and
// NULLs (rows written before a ledger kept a field) against copies that differ in any field.

let db: Database;
beforeAll(() => {
  db = createDatabase(TEST_PG_URL, 1);
});
afterAll(() => db.close());

const KINDS = Object.keys(COPY_FIELDS) as CopyKind[];
const value = fc.constantFrom('0', '1', '0xab', 'DEPOSIT', 'WITHDRAW');

/**
 * A recorded row (field -> text or null) and a copy (field -> text), over the kind's fields. The
 * copy mostly repeats the recorded values (a field differs with probability 1/4), so that
 * agreeing copies, with and without NULLs, come up as often as differing ones.
 */
const pair = (kind: CopyKind) => {
  const fields = COPY_FIELDS[kind].map((f) => f.field);
  return fc
    .tuple(
      fc.tuple(...fields.map(() => fc.option(value, { freq: 4 }))),
      fc.tuple(...fields.map(() => fc.record({ same: fc.boolean(), sameAgain: fc.boolean(), other: value }))),
    )
    .map(([recorded, picks]) => ({
      recorded,
      copy: picks.map((p, i) => ((p.same || p.sameAgain) && recorded[i] != null ? recorded[i]! : p.other)),
    }));
};

/** Both SQL predicates on one recorded row `e` and one copy (as input row `x` and as EXCLUDED's stand-in `n`). */
async function sqlAgrees(kind: CopyKind, recorded: (string | null)[], copy: string[]): Promise<boolean> {
  const fields = COPY_FIELDS[kind];
  const cols = (vals: (string | null)[], name: (i: number) => string) => sqlJoin(vals.map((v, i) => sqlFragment`${v}::text AS ${sqlIdentifier(name(i))}`), ', ');
  const [row] = await db.sql.query<{ agrees: boolean }>`
    SELECT (${copyAgrees(kind, 'e')}) AS agrees
      FROM (SELECT ${cols(recorded, (i) => fields[i]!.column)}) e,
           (SELECT ${cols(copy, (i) => fields[i]!.input)}) x`;
  return row!.agrees;
}

/** The ON CONFLICT form, on a scratch table with the kind's columns: does a removal copy take effect? */
async function excludedAgrees(kind: CopyKind, recorded: (string | null)[], copy: string[]): Promise<boolean> {
  const fields = COPY_FIELDS[kind];
  return db.transaction(async (tx) => {
    const defs = sqlJoin(fields.map((f) => sqlFragment`${sqlIdentifier(f.column)} text`), ', ');
    const names = sqlJoin(fields.map((f) => sqlIdentifier(f.column)), ', ');
    const vals = (vs: (string | null)[]) => sqlJoin(vs.map((v) => sqlFragment`${v}::text`), ', ');
    await tx.execute`CREATE TEMP TABLE e (id int PRIMARY KEY, removed boolean NOT NULL, ${defs}) ON COMMIT DROP`;
    await tx.execute`INSERT INTO e (id, removed, ${names}) VALUES (1, false, ${vals(recorded)})`;
    const [row] = await tx.query<{ removed: boolean }>`
      INSERT INTO e AS e (id, removed, ${names}) VALUES (1, true, ${vals(copy)})
      ON CONFLICT (id) DO UPDATE SET removed = e.removed OR (EXCLUDED.removed AND ${recordedAgreesWithExcluded(kind, 'e')})
      RETURNING removed`;
    return row!.removed;
  });
}

it.each(KINDS)('%s: the SQL predicates decide as firstDifference does', async (kind) => {
  const fields = COPY_FIELDS[kind].map((f) => f.field);
  await fc.assert(
    fc.asyncProperty(pair(kind), async ({ recorded, copy }) => {
      const agrees = !firstDifference(kind, Object.fromEntries(fields.map((f, i) => [f, copy[i]])), Object.fromEntries(fields.map((f, i) => [f, recorded[i] ?? null])));
      expect(await sqlAgrees(kind, recorded.map((v) => v ?? null), copy)).toBe(agrees);
      expect(await excludedAgrees(kind, recorded.map((v) => v ?? null), copy)).toBe(agrees);
    }),
    { numRuns: 100 },
  );
});

it('a fragment splices only identifiers and binds every value', async () => {
  expect(() => sqlIdentifier('x" OR 1=1 --')).toThrow(/not a plain SQL identifier/);
  const hostile = "x' OR '1'='1";
  const [row] = await db.sql.query<{ v: string; n: number }>`SELECT ${sqlFragment`${hostile}::text`} AS v, ${sqlFragment`${2}::int + ${3}::int`} AS n`;
  expect(row).toEqual({ v: hostile, n: 5 });
});
