import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

// Applies prisma/migrations/*/migration.sql the way `prisma migrate deploy` does: in name order,
// each in its own transaction, recorded in _prisma_migrations (same table, same checksum, same
// advisory lock and its 10 s time-out, a failure recorded as Prisma records it), so a later
// `prisma migrate deploy` or `prisma migrate resolve` sees exactly what it would have left itself.
// Self-contained (pg and node only): the migrate image copies this one compiled file.

const PRISMA_MIGRATE_LOCK = 72707369; // the advisory lock key Prisma's migrate uses
/** Prisma gives up waiting for its advisory lock after 10 s; so does this. */
export const MIGRATION_LOCK_TIMEOUT_MS = 10_000;

export const MIGRATIONS_DIR = join(__dirname, '..', '..', '..', '..', 'prisma', 'migrations');

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

export interface MigrateOptions {
  /** How long to wait for another migration's advisory lock before giving up (nothing applied). */
  lockTimeoutMs?: number;
}

export function listMigrations(dir = MIGRATIONS_DIR): { name: string; sql: string; checksum: string }[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Create the database named in the URL if it does not exist, by connecting to the `postgres`
 * maintenance database. Only for local stacks and tests: managed users and poolers often cannot
 * reach that database, so the entry points call this behind an explicit flag only.
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    // Identifiers cannot be bound as parameters; quote it as Postgres itself would.
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await admin.end();
  }
}

/** Takes Prisma's migration lock, waiting at most timeoutMs (Postgres' lock_timeout applies to advisory locks). */
async function takeMigrationLock(client: Client, timeoutMs: number): Promise<void> {
  await client.query("SELECT set_config('lock_timeout', $1, false)", [String(Math.max(1, Math.round(timeoutMs)))]);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') {
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_LOCK})): ` +
          'another migration is running; nothing was applied',
      );
    }
    throw err;
  } finally {
    await client.query('RESET lock_timeout').catch(() => undefined);
  }
}

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** A migration that started and neither finished nor was marked rolled back blocks every later run, as in Prisma (P3009). */
async function refuseAfterFailure(client: Client): Promise<void> {
  const failed = await client.query<{ migration_name: string; started_at: Date }>(
    `SELECT migration_name, started_at FROM "_prisma_migrations"
      WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at`,
  );
  if (!failed.rowCount) return;
  const names = failed.rows.map((r) => `${r.migration_name} (started at ${r.started_at.toISOString()})`).join(', ');
  const first = failed.rows[0]!.migration_name;
  throw new Error(
    `found failed migrations in the target database, new migrations will not be applied: ${names}. ` +
      `Its error is in _prisma_migrations.logs. Fix the cause, then mark it: prisma migrate resolve --rolled-back ${first} ` +
      `(or --applied ${first} if you completed it by hand); see docs/RUNBOOKS.md, "A failed migration"`,
  );
}

async function applyOne(client: Client, m: { name: string; sql: string; checksum: string }): Promise<void> {
  // Recorded before it runs, outside its transaction, as Prisma does: if it fails, the row stays
  // with finished_at NULL and the error in logs, which is what `prisma migrate resolve` acts on.
  const id = randomUUID();
  await client.query(
    `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, applied_steps_count, started_at) VALUES ($1, $2, $3, 0, now())`,
    [id, m.checksum, m.name],
  );
  await client.query('BEGIN');
  try {
    await client.query(m.sql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    const message = (err as Error).message;
    await client.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, `${m.name} failed: ${message}`]);
    throw new Error(`migration ${m.name} failed: ${message} (recorded in _prisma_migrations with finished_at NULL)`);
  }
  await client.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
}

export async function applyMigrations(databaseUrl: string, dir = MIGRATIONS_DIR, options: MigrateOptions = {}): Promise<MigrationReport> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  let locked = false;
  try {
    await takeMigrationLock(client, options.lockTimeoutMs ?? MIGRATION_LOCK_TIMEOUT_MS);
    locked = true;
    await client.query(CREATE_MIGRATIONS_TABLE);
    await refuseAfterFailure(client);
    const applied = await appliedChecksums(client);
    for (const m of listMigrations(dir)) {
      const previous = applied.get(m.name);
      if (previous !== undefined) {
        if (previous !== m.checksum) {
          throw new Error(`migration ${m.name} was edited after it was applied (checksum differs)`);
        }
        report.alreadyApplied.push(m.name);
        continue;
      }
      await applyOne(client, m);
      report.applied.push(m.name);
    }
    return report;
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK]).catch(() => undefined);
    await client.end();
  }
}

async function appliedChecksums(client: Client): Promise<Map<string, string>> {
  const done = await client.query<{ migration_name: string; checksum: string }>(
    `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  return new Map(done.rows.map((r) => [r.migration_name, r.checksum]));
}

/**
 * The migrations under dir that the database has not finished applying: one read of
 * _prisma_migrations, no lock, no DDL, so a worker's read/write user can run it. Migrations the
 * database has and dir does not (a newer release migrated first) are not this release's concern.
 */
export async function pendingMigrations(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const table = await client.query<{ t: string | null }>(`SELECT to_regclass('"_prisma_migrations"')::text AS t`);
    const applied = table.rows[0]?.t ? await appliedChecksums(client) : new Map<string, string>();
    return listMigrations(dir)
      .map((m) => m.name)
      .filter((name) => !applied.has(name));
  } finally {
    await client.end();
  }
}
