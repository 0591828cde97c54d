import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TEST_PG_URL } from '@vaults/testkit';
import { createDatabaseAsked, migrate, migrationUrl } from '../../scripts/migrate';

// `pnpm db:migrate` (scripts/migrate.ts) connects to the `postgres` maintenance database to
// CREATE DATABASE only when asked (--create-database / MIGRATE_CREATE_DATABASE=true): managed
// users and poolers often cannot reach it. Real Postgres, the SQL path (no Prisma engine here).

const urlOf = (name: string) => {
  const u = new URL(TEST_PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
};

async function databaseExists(name: string): Promise<boolean> {
  const c = new Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    return Boolean((await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount);
  } finally {
    await c.end();
  }
}

async function drop(name: string): Promise<void> {
  const c = new Client({ connectionString: TEST_PG_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => c.end());
}

const name = `vaults_create_flag_${randomBytes(4).toString('hex')}`;
const saved = process.env.MIGRATE_WITH;
let log: jest.SpyInstance;

beforeAll(() => {
  process.env.MIGRATE_WITH = 'sql';
  log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterAll(async () => {
  process.env.MIGRATE_WITH = saved;
  log.mockRestore();
  await drop(name);
});

it('without the flag, a missing database is an error and nothing is created', async () => {
  await expect(migrate({ databaseUrl: urlOf(name) })).rejects.toThrow(/does not exist/);
  expect(await databaseExists(name)).toBe(false);
});

it('with the flag, the database is created and migrated', async () => {
  await migrate({ databaseUrl: urlOf(name), createDatabase: true });
  expect(await databaseExists(name)).toBe(true);
  const c = new Client({ connectionString: urlOf(name) });
  await c.connect();
  const rows = await c.query(`SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`).finally(() => c.end());
  expect(rows.rows[0].n).toBeGreaterThan(0);
});

it('reads the flag from the command line or MIGRATE_CREATE_DATABASE, and prefers MIGRATION_DATABASE_URL', () => {
  expect(createDatabaseAsked([], {})).toBe(false);
  expect(createDatabaseAsked(['--create-database'], {})).toBe(true);
  expect(createDatabaseAsked([], { MIGRATE_CREATE_DATABASE: 'true' })).toBe(true);
  expect(migrationUrl({ DATABASE_URL: 'postgresql://pooled/db', MIGRATION_DATABASE_URL: 'postgresql://direct/db' })).toBe('postgresql://direct/db');
  expect(migrationUrl({ DATABASE_URL: 'postgresql://pooled/db' })).toBe('postgresql://pooled/db');
});
