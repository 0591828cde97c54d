// The migrate image's command, two modes.
//
// `node migrate.cjs` (the release's migration Job): applies the migrations to
// MIGRATION_DATABASE_URL (a direct connection, not through a pooler, with schema-changing rights;
// DATABASE_URL when unset), the same two ways as `pnpm db:migrate` (scripts/migrate.ts):
// `prisma migrate deploy` where the image has Prisma's schema engine, otherwise the recorded
// prisma/migrations/*/migration.sql applied in order and recorded in _prisma_migrations exactly
// as Prisma records them (packages/shared/src/platform/migrate.ts, compiled into lib/).
// MIGRATE_WITH=prisma|sql forces one way. Idempotent either way. It creates the database (through
// the `postgres` maintenance database) only when MIGRATE_CREATE_DATABASE=true.
//
// `node migrate.cjs --wait-for-schema` (the workers' init container): waits until every migration
// this image (so this release) carries is applied, reading _prisma_migrations with the workers'
// own DATABASE_URL (read/write, no DDL); gives up after SCHEMA_WAIT_TIMEOUT_S (600) with exit 1.
'use strict';
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { applyMigrations, ensureDatabase, pendingMigrations } = require('./lib/migrate.js');

const MIGRATIONS = join(__dirname, 'prisma', 'migrations');

async function migrate() {
  const url = process.env.MIGRATION_DATABASE_URL || process.env.DATABASE_URL;
  if (!url) throw new Error('MIGRATION_DATABASE_URL (or DATABASE_URL) is not set');
  const mode = process.env.MIGRATE_WITH || 'auto';
  const engine = process.env.PRISMA_SCHEMA_ENGINE_BINARY;
  if (process.env.MIGRATE_CREATE_DATABASE === 'true' && (await ensureDatabase(url))) console.log('created the database');
  const hasEngine = Boolean(engine && existsSync(engine));
  if (mode === 'prisma' || (mode === 'auto' && hasEngine)) {
    const prisma = spawnSync(join(__dirname, 'node_modules', '.bin', 'prisma'), ['migrate', 'deploy'], {
      stdio: 'inherit',
      env: { ...process.env, DATABASE_URL: url },
    });
    if (prisma.status !== 0) throw new Error(`prisma migrate deploy exited ${prisma.status ?? prisma.signal}`);
    return;
  }
  if (mode === 'auto') console.log('this image has no Prisma schema engine (built with ALLOW_SQL_MIGRATIONS=true): applying the migration SQL');
  const report = await applyMigrations(url, MIGRATIONS);
  console.log(
    `migrations: ${report.applied.length} applied${report.applied.length ? ` (${report.applied.join(', ')})` : ''}, ` +
      `${report.alreadyApplied.length} already applied`,
  );
}

async function waitForSchema() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const deadline = Date.now() + Number(process.env.SCHEMA_WAIT_TIMEOUT_S || 600) * 1000;
  let said = '';
  for (;;) {
    const pending = await pendingMigrations(url, MIGRATIONS).catch((err) => [`(database not reachable: ${err.message})`]);
    if (pending.length === 0) {
      console.log('schema ready: every migration of this release is applied');
      return;
    }
    const now = `waiting for the release's migration Job to apply: ${pending.join(', ')}`;
    if (now !== said) console.log((said = now));
    if (Date.now() > deadline) throw new Error(`gave up after SCHEMA_WAIT_TIMEOUT_S: ${pending.join(', ')} still pending`);
    // Nothing to subscribe to: the Job runs elsewhere. One cheap SELECT every 2 s.
    await new Promise((r) => setTimeout(r, 2000));
  }
}

const waiting = process.argv.includes('--wait-for-schema');
(waiting ? waitForSchema() : migrate()).catch((err) => {
  console.error(`${waiting ? 'schema wait' : 'migration'} failed: ${err.message}`);
  process.exit(1);
});
