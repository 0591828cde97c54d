// pnpm db:migrate: apply prisma/migrations to MIGRATION_DATABASE_URL (a direct connection with
// schema-changing rights; DATABASE_URL when unset). With Prisma's schema engine at hand (a Docker
// build, a machine that reaches Prisma's binary host) this is `prisma migrate deploy`; where the
// engine cannot be had (this machine, CI) the same migration.sql files are applied in order and
// recorded exactly as Prisma records them. MIGRATE_WITH=prisma|sql forces one way; the default
// (auto) tries prisma, then sql. The database itself is created (through the `postgres`
// maintenance database) only with --create-database or MIGRATE_CREATE_DATABASE=true: local stacks
// ask for it, a managed server's user often cannot reach that database.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { applyMigrations, ensureDatabase, redactUrl } from '@vaults/shared';

const DEFAULT_URL = 'postgresql://postgres@127.0.0.1:5432/vaults';

export interface MigrateRun {
  databaseUrl?: string;
  createDatabase?: boolean;
  migrationsDir?: string;
}

export function migrationUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.MIGRATION_DATABASE_URL || env.DATABASE_URL || DEFAULT_URL;
}

export async function migrate(run: MigrateRun = {}): Promise<void> {
  const databaseUrl = run.databaseUrl ?? migrationUrl();
  const mode = process.env.MIGRATE_WITH ?? 'auto';
  if (run.createDatabase && (await ensureDatabase(databaseUrl))) console.log(`created database ${redactUrl(databaseUrl)}`);
  if (mode !== 'sql') {
    const prisma = spawnSync(join(__dirname, '..', 'node_modules', '.bin', 'prisma'), ['migrate', 'deploy'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (prisma.status === 0) {
      console.log(prisma.stdout.trim());
      return;
    }
    const output = `${prisma.stderr ?? ''}${prisma.stdout ?? ''}`;
    const why = /getaddrinfo|request to|ENOTFOUND|ECONNREFUSED/.test(output)
      ? "its schema engine could not be downloaded"
      : output.trim().split('\n').pop();
    if (mode === 'prisma') throw new Error(`prisma migrate deploy failed: ${why}`);
    console.log(`prisma migrate deploy unavailable (${why}); applying the migration SQL directly`);
  }
  const report = await applyMigrations(databaseUrl, run.migrationsDir);
  console.log(
    `migrations: ${report.applied.length} applied${report.applied.length ? ` (${report.applied.join(', ')})` : ''}, ` +
      `${report.alreadyApplied.length} already applied — ${redactUrl(databaseUrl)}`,
  );
}

export const createDatabaseAsked = (argv: string[], env: NodeJS.ProcessEnv): boolean =>
  argv.includes('--create-database') || env.MIGRATE_CREATE_DATABASE === 'true';

if (require.main === module) {
  migrate({ createDatabase: createDatabaseAsked(process.argv.slice(2), process.env) }).catch((err) => {
    console.error(`migration failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
