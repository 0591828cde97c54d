import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { applyMigrations, listMigrations, MIGRATIONS_DIR, pendingMigrations } from '@vaults/shared';
import { createTestDatabase, type TestDatabase } from '@vaults/testkit';

// The SQL fallback of `prisma migrate deploy` (platform/migrate.ts), against a real Postgres:
// it gives up on a held migration lock after its time-out, and records a failed migration the
// way Prisma does, so `prisma migrate resolve` (which only updates that row) applies.

let tdb: TestDatabase;
let dir: string;

beforeEach(async () => {
  tdb = await createTestDatabase('vaults_migrate');
  dir = mkdtempSync(join(tmpdir(), 'vaults-migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
});

afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  await tdb.drop();
});

async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: tdb.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function addMigration(name: string, sql: string): void {
  mkdirSync(join(dir, name));
  writeFileSync(join(dir, name, 'migration.sql'), sql);
}

it('gives up on the migration lock after its time-out while another migration holds it, applying nothing', async () => {
  addMigration('20991231000000_later', 'CREATE TABLE later_table (id int);');
  const holder = new Client({ connectionString: tdb.url });
  await holder.connect();
  try {
    await holder.query('SELECT pg_advisory_lock(72707369)');
    await expect(applyMigrations(tdb.url, dir, { lockTimeoutMs: 300 })).rejects.toThrow(/timed out after 0.3 s waiting for the migration lock/);
  } finally {
    await holder.end();
  }
  expect(await pendingMigrations(tdb.url, dir)).toEqual(['20991231000000_later']);
  // Once the holder is gone the same run goes through.
  expect((await applyMigrations(tdb.url, dir, { lockTimeoutMs: 300 })).applied).toEqual(['20991231000000_later']);
});

it('records a failed migration as Prisma does (finished_at NULL, the error in logs), refuses later runs until it is resolved', async () => {
  addMigration('20991231000000_broken', 'CREATE TABLE half_done (id int);\nSELECT 1/0;');
  await expect(applyMigrations(tdb.url, dir)).rejects.toThrow(/migration 20991231000000_broken failed: division by zero/);

  const row = await withClient(async (c) =>
    (await c.query(`SELECT finished_at, rolled_back_at, logs, applied_steps_count FROM "_prisma_migrations" WHERE migration_name = '20991231000000_broken'`)).rows,
  );
  expect(row).toHaveLength(1);
  expect(row[0]).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
  expect(row[0].logs).toMatch(/division by zero/);
  // Its statements were rolled back with it.
  expect(await withClient(async (c) => (await c.query(`SELECT to_regclass('half_done')::text AS t`)).rows[0].t)).toBeNull();

  // Like Prisma (P3009): nothing more is applied while a failed migration is unresolved.
  await expect(applyMigrations(tdb.url, dir)).rejects.toThrow(/found failed migrations.*20991231000000_broken.*prisma migrate resolve --rolled-back 20991231000000_broken/);

  // What `prisma migrate resolve --rolled-back` does; then the fixed migration applies.
  await withClient((c) => c.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '20991231000000_broken'`));
  writeFileSync(join(dir, '20991231000000_broken', 'migration.sql'), 'CREATE TABLE half_done (id int);');
  expect((await applyMigrations(tdb.url, dir)).applied).toEqual(['20991231000000_broken']);
  expect(await pendingMigrations(tdb.url, dir)).toEqual([]);
});

it('pendingMigrations lists what this release has and the database has not, and ignores what only the database has', async () => {
  const names = listMigrations(dir).map((m) => m.name);
  expect(await pendingMigrations(tdb.url, dir)).toEqual([]);
  addMigration('20991231000000_next', 'SELECT 1;');
  expect(await pendingMigrations(tdb.url, dir)).toEqual(['20991231000000_next']);
  // An older release (fewer folders) against a database a newer release migrated: nothing pending.
  rmSync(join(dir, names[names.length - 1]!), { recursive: true });
  await applyMigrations(tdb.url, MIGRATIONS_DIR);
  expect(await pendingMigrations(tdb.url, dir)).toEqual(['20991231000000_next']);
});
