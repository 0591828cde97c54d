// The migrate image's command, the same two ways as `pnpm db:migrate` (scripts/migrate.ts):
// `prisma migrate deploy` where the image has Prisma's schema engine (it could be downloaded when
// the image was built), otherwise the recorded prisma/migrations/*/migration.sql applied in order
// and recorded in _prisma_migrations exactly as Prisma records them (packages/shared/src/platform/migrate.ts,
// compiled into lib/). MIGRATE_WITH=prisma|sql forces one way. Idempotent either way.
'use strict';
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { applyMigrations, ensureDatabase } = require('./lib/migrate.js');

const url = process.env.DATABASE_URL;
const mode = process.env.MIGRATE_WITH || 'auto';
const engine = process.env.PRISMA_SCHEMA_ENGINE_BINARY;

async function main() {
  if (!url) throw new Error('DATABASE_URL is not set');
  if (await ensureDatabase(url)) console.log('created the database');
  const hasEngine = Boolean(engine && existsSync(engine));
  if (mode === 'prisma' || (mode === 'auto' && hasEngine)) {
    const prisma = spawnSync(join(__dirname, 'node_modules', '.bin', 'prisma'), ['migrate', 'deploy'], { stdio: 'inherit' });
    if (prisma.status !== 0) throw new Error(`prisma migrate deploy exited ${prisma.status ?? prisma.signal}`);
    return;
  }
  if (mode === 'auto') console.log("this image has no Prisma schema engine (it could not be downloaded at build time): applying the migration SQL");
  const report = await applyMigrations(url, join(__dirname, 'prisma', 'migrations'));
  console.log(
    `migrations: ${report.applied.length} applied${report.applied.length ? ` (${report.applied.join(', ')})` : ''}, ` +
      `${report.alreadyApplied.length} already applied`,
  );
}

main().catch((err) => {
  console.error(`migration failed: ${err.message}`);
  process.exit(1);
});
