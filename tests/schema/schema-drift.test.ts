import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDMMF } from '@prisma/internals';
import { Client } from 'pg';
import { listMigrations } from '@vaults/shared';
import { createTestDatabaseClient, type TestDatabaseClient } from '@vaults/testkit';

// prisma/schema.prisma and prisma/migrations/*.sql are two descriptions of one database; this
// test applies the SQL to a fresh database and checks that it is exactly what the schema
// declares: tables, columns, types, nullability, defaults' presence, enums, primary, unique and
// plain indexes, and foreign keys. Edit one without the other and it fails.

type Dmmf = Awaited<ReturnType<typeof getDMMF>>;

let db: TestDatabaseClient;
let pg: Client;
let dmmf: Dmmf;

beforeAll(async () => {
  dmmf = await getDMMF({ datamodel: readFileSync(join(__dirname, '..', '..', 'prisma', 'schema.prisma'), 'utf8') });
  db = await createTestDatabaseClient();
  pg = db.pg;
});

afterAll(async () => {
  await db.drop();
});

const SCALAR_TYPES: Record<string, string> = {
  Int: 'integer',
  BigInt: 'bigint',
  String: 'text',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
};

function expectedType(f: Dmmf['datamodel']['models'][number]['fields'][number]): string {
  if (f.kind === 'enum') return `"${f.type}"`;
  const native = f.nativeType as [string, string[]] | null | undefined;
  if (native?.[0] === 'Decimal') return `numeric(${native[1].join(',')})`;
  if (native?.[0] === 'Timestamptz') return `timestamp(${native[1][0] ?? 3}) with time zone`;
  if (native) throw new Error(`native type ${native[0]} not mapped in this test`);
  return SCALAR_TYPES[f.type]!;
}

const tableOf = (m: { name: string; dbName: string | null }) => m.dbName ?? m.name;

it('has exactly the tables the schema declares (plus _prisma_migrations)', async () => {
  const r = await pg.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'`);
  expect(r.rows.map((x) => x.t).sort()).toEqual([...dmmf.datamodel.models.map(tableOf), '_prisma_migrations'].sort());
});

it('has the columns, types, nullability and defaults the schema declares', async () => {
  const r = await pg.query<{ table: string; column: string; type: string; notnull: boolean; hasdefault: boolean }>(`
    SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
           a.attnotnull AS notnull, a.atthasdef AS hasdefault
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> '_prisma_migrations'`);
  const actual = r.rows.map((x) => `${x.table}.${x.column} ${x.type}${x.notnull ? ' NOT NULL' : ''}${x.hasdefault ? ' DEFAULT' : ''}`).sort();
  const expected = dmmf.datamodel.models
    .flatMap((m) =>
      m.fields
        .filter((f) => f.kind === 'scalar' || f.kind === 'enum')
        .map((f) => `${tableOf(m)}.${f.dbName ?? f.name} ${expectedType(f)}${f.isRequired ? ' NOT NULL' : ''}${f.hasDefaultValue ? ' DEFAULT' : ''}`),
    )
    .sort();
  expect(actual).toEqual(expected);
});

it('has the enums the schema declares', async () => {
  const r = await pg.query<{ name: string; values: string[] }>(`
    SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS values
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`);
  const actual = Object.fromEntries(r.rows.map((x) => [x.name, x.values]));
  expect(actual).toEqual(Object.fromEntries(dmmf.datamodel.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)])));
});

it('has the primary keys, unique keys and indexes the schema declares', async () => {
  const r = await pg.query<{ table: string; kind: string; columns: string[] }>(`
    SELECT c.relname AS table,
           CASE WHEN i.indisprimary THEN 'id' WHEN i.indisunique THEN 'unique' ELSE 'normal' END AS kind,
           array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relname <> '_prisma_migrations'`);
  const actual = r.rows.map((x) => `${x.table} ${x.kind} (${x.columns.join(', ')})`).sort();
  const models = new Map(dmmf.datamodel.models.map((m) => [m.name, m]));
  const column = (model: string, field: string) => {
    const f = models.get(model)!.fields.find((x) => x.name === field)!;
    return f.dbName ?? f.name;
  };
  const expected = dmmf.datamodel.indexes
    .map((ix) => `${tableOf(models.get(ix.model)!)} ${ix.type} (${ix.fields.map((f) => column(ix.model, f.name)).join(', ')})`)
    .sort();
  expect(actual).toEqual(expected);
});

it('has the foreign keys the schema declares', async () => {
  const r = await pg.query<{ def: string }>(`
    SELECT c.conrelid::regclass::text || ' ' || pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c WHERE c.contype = 'f'`);
  const actual = r.rows.map((x) => x.def.replace(/"/g, '')).sort();
  const expected = dmmf.datamodel.models
    .flatMap((m) =>
      m.fields
        .filter((f) => f.kind === 'object' && f.relationFromFields?.length)
        .map((f) => `${tableOf(m)} FOREIGN KEY (${f.relationFromFields!.join(', ')}) REFERENCES ${f.type}(${f.relationToFields!.join(', ')}) ON UPDATE CASCADE ON DELETE RESTRICT`),
    )
    .sort();
  expect(actual).toEqual(expected);
});

it('records the migrations as Prisma does, so prisma migrate deploy sees them as applied', async () => {
  const r = await pg.query(`SELECT migration_name, checksum, finished_at IS NOT NULL AS done, applied_steps_count
                              FROM "_prisma_migrations" ORDER BY migration_name`);
  const files = listMigrations();
  expect(files.length).toBeGreaterThan(0);
  expect(r.rows).toEqual(files.map((m) => ({ migration_name: m.name, checksum: m.checksum, done: true, applied_steps_count: 1 })));
});
