import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrate } from '../../../scripts/migrate';
import { runToEnd, state } from '../lib/containers';
import { MIGRATE_IMAGE } from '../lib/images';
import { check, expectThat } from '../lib/report';
import { run } from '../lib/sh';
import { dbUrl, dropDatabase } from '../lib/postgres';

// The migrate image against an empty database leaves it exactly as `pnpm db:migrate` does (the same
// schema, the same _prisma_migrations records), and a second run changes nothing.

async function schemaDump(url: string): Promise<string> {
  const { stdout } = await run('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', url]);
  // The dump names nothing run-specific but its header; drop comments and blank lines.
  return stdout
    .split('\n')
    .filter((l) => !l.startsWith('--') && !/^\\(un)?restrict /.test(l) && l.trim() !== '')
    .join('\n');
}

async function migrationRecords(url: string): Promise<string[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(
      `SELECT migration_name, checksum, applied_steps_count, finished_at IS NOT NULL AS finished, rolled_back_at IS NULL AS live, logs
         FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    return r.rows.map((row) => JSON.stringify(row));
  } finally {
    await c.end();
  }
}

export async function migrateChecks(): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  const reference = dbUrl(`vaults_ci_migrate_ref_${tag}`);
  const target = dbUrl(`vaults_ci_migrate_img_${tag}`);
  try {
    await migrate({ databaseUrl: reference, createDatabase: true }); // what `pnpm db:migrate` runs
    // The database is created only because this asks (the image never touches `postgres` otherwise).
    const env = { MIGRATION_DATABASE_URL: target, MIGRATE_CREATE_DATABASE: 'true' };
    let first = '';
    await check('migrate image: an empty database comes out exactly as `pnpm db:migrate` leaves it', async () => {
      const r = await runToEnd(`vaults-ci-migrate-${tag}`, MIGRATE_IMAGE, env);
      first = `${r.stdout}${r.stderr}`.trim();
      expectThat(r.code === 0, `exited ${r.code}: ${first}`);
      const [a, b] = [await schemaDump(reference), await schemaDump(target)];
      expectThat(a === b, `schema differs from pnpm db:migrate's:\n${diffLines(a, b)}`);
      const [ra, rb] = [await migrationRecords(reference), await migrationRecords(target)];
      expectThat(JSON.stringify(ra) === JSON.stringify(rb), `_prisma_migrations differ:\n${ra.join('\n')}\nvs\n${rb.join('\n')}`);
      return `${rb.length} migration(s) recorded, schema dump of ${b.split('\n').length} lines identical; the image said: ${first.split('\n').pop()}`;
    });
    await check('migrate image: a second run is a no-op (idempotent), read-only root, non-root user', async () => {
      const before = await schemaDump(target);
      const records = await migrationRecords(target);
      const name = `vaults-ci-migrate-again-${tag}`;
      const r = await runToEnd(name, MIGRATE_IMAGE, env);
      const out = `${r.stdout}${r.stderr}`.trim();
      expectThat(r.code === 0, `exited ${r.code}: ${out}`);
      expectThat(/0 applied/.test(out), `expected "0 applied", got: ${out}`);
      expectThat((await schemaDump(target)) === before, 'the schema changed on the second run');
      expectThat(JSON.stringify(await migrationRecords(target)) === JSON.stringify(records), '_prisma_migrations changed on the second run');
      const s = await state(name);
      expectThat(s.readOnly, 'root filesystem is writable');
      expectThat(s.user !== '' && !/^(0|root)(:|$)/.test(s.user), `runs as "${s.user}"`);
      await run('podman', ['rm', '-f', name], { allowFail: true });
      return out.split('\n').pop();
    });
  } finally {
    await dropDatabase(reference);
    await dropDatabase(target);
    await run('podman', ['rm', '-f', '--ignore', `vaults-ci-migrate-${tag}`], { allowFail: true });
  }
}

function diffLines(a: string, b: string): string {
  const left = new Set(a.split('\n'));
  const right = new Set(b.split('\n'));
  return [...[...left].filter((l) => !right.has(l)).map((l) => `- ${l}`), ...[...right].filter((l) => !left.has(l)).map((l) => `+ ${l}`)].slice(0, 20).join('\n');
}
