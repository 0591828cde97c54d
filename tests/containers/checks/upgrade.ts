import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Producer, createDatabase as openDatabase, createRedis, markFromOrigin } from '@vaults/shared';
import { replay, Status } from '../../../scripts/demo/replay';
import { verify } from '../../../scripts/demo/report';
import { generateStream, type DemoStream } from '../../../scripts/demo/stream';
import { workerNames } from '../../deploy/support/repo';
import { freePort } from '../../faults/lib/util';
import { onInterrupt } from '../lib/cleanup';
import { removeContainers, runToEnd, startContainer, stopContainer, waitReady, type Container } from '../lib/containers';
import { MIGRATE_IMAGE, TAG, serviceImage, type Release } from '../lib/images';
import { PG_ADMIN_URL, dbUrl, dropDatabase } from '../lib/postgres';
import { check, expectThat } from '../lib/report';
import { GRACE_SECONDS, QUEUES, REDIS_URL, SHUTDOWN_TIMEOUT_MS } from '../lib/system';

// An upgrade in place, as a release goes out on Kubernetes (docs/DEPLOYMENT.md, "Releases"): the
// previous release runs (its migration, then its workers taking a stream), this release's
// migration Job runs while those workers keep going, this release's workers wait for the schema
// (the init container's check, which refuses before the Job and passes after it), start beside
// the old ones, the old ones stop (SIGTERM, exit 0), and a second stream goes through the new
// ones. The database must equal the reference model of both streams. A database created the way
// a platform team would (not by the migration), a queue prefix of its own.

const SCHEMA_CHECK = ['node', 'migrate.cjs', '--wait-for-schema'];

async function createDatabase(url: string): Promise<void> {
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${new URL(url).pathname.slice(1)}"`).finally(() => admin.end());
}

async function appliedMigrations(url: string): Promise<string[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(`SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY 1`)).rows.map((r) => r.migration_name);
  } finally {
    await c.end();
  }
}

interface Fleet {
  names: string[];
  containers: Container[];
}

async function startFleet(tag: string, release: string, env: Record<string, string>): Promise<Fleet> {
  const containers: Container[] = [];
  for (const service of workerNames()) {
    const port = await freePort(19400);
    const c = { name: `vaults-ci-upgrade-${release}-${service}-${tag}`, image: serviceImage(service, release), port };
    containers.push(c);
    await startContainer(c, { ...env, METRICS_PORT: String(port) });
    await waitReady(c);
  }
  return { names: containers.map((c) => c.name), containers };
}

export async function upgradeChecks(previous: Release & { commit: string }): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  const databaseUrl = dbUrl(`vaults_ci_upgrade_${tag}`);
  const prefix = `ci-upgrade-${tag}`;
  const env = { DATABASE_URL: databaseUrl, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) };
  const connection = createRedis(REDIS_URL, 'fail-fast');
  connection.on('error', () => undefined);
  const producer = new Producer({ connection, prefix });
  const containers: string[] = [];
  const cleanup = async () => {
    await removeContainers(containers);
    for (const q of QUEUES) await producer.queue(q).obliterate({ force: true }).catch(() => undefined);
    await producer.close().catch(() => undefined);
    connection.disconnect();
    await dropDatabase(databaseUrl).catch(() => undefined);
  };
  const unregister = onInterrupt(cleanup);
  const streams: DemoStream[] = [];
  const send = async (seed: string) => {
    const stream = generateStream({ seed, vaults: 3, followers: 60, trades: 600, endTimestamp: Math.floor(Date.now() / 1000) });
    streams.push(stream);
    const result = await replay(producer, stream, new Status(false), 180_000);
    const failed = Object.values(result.failed).reduce((a, b) => a + b, 0);
    expectThat(failed === 0, `${failed} job(s) failed`);
    return stream.sends.length;
  };
  try {
    await createDatabase(databaseUrl);
    let old: Fleet | undefined;
    let before: string[] = [];
    const oldOk = await check(`upgrade: the previous release (${previous.commit.slice(0, 10)}) migrates and its workers take a stream`, async () => {
      const name = `vaults-ci-upgrade-migrate-prev-${tag}`;
      containers.push(name);
      // Both names: a release before MIGRATION_DATABASE_URL read DATABASE_URL.
      const r = await runToEnd(name, serviceImage('migrate', previous.tag), { MIGRATION_DATABASE_URL: databaseUrl, DATABASE_URL: databaseUrl });
      expectThat(r.code === 0, `its migration exited ${r.code}: ${r.stderr}${r.stdout}`);
      before = await appliedMigrations(databaseUrl);
      old = await startFleet(tag, previous.tag, env);
      containers.push(...old.names);
      return `${before.length} migration(s); ${await send('upgrade-1')} jobs drained by the previous release's workers`;
    });
    if (!oldOk || !old) return;
    const oldFleet = old;

    await check("upgrade: this release's workers wait for its migration Job (schema check refuses before, passes after), while the old workers run", async () => {
      const early = `vaults-ci-upgrade-wait-early-${tag}`;
      containers.push(early);
      const pending = await runToEnd(early, MIGRATE_IMAGE, { DATABASE_URL: databaseUrl, SCHEMA_WAIT_TIMEOUT_S: '1' }, SCHEMA_CHECK);
      const job = `vaults-ci-upgrade-migrate-${tag}`;
      containers.push(job);
      const migrated = await runToEnd(job, MIGRATE_IMAGE, { MIGRATION_DATABASE_URL: databaseUrl });
      expectThat(migrated.code === 0, `the migration Job exited ${migrated.code}: ${migrated.stderr}${migrated.stdout}`);
      const after = await appliedMigrations(databaseUrl);
      const added = after.filter((m) => !before.includes(m));
      // Only meaningful when the release adds migrations; then the early check must have refused.
      if (added.length) expectThat(pending.code === 1 && added.every((m) => pending.stdout.includes(m) || pending.stderr.includes(m)), `the early schema check exited ${pending.code}: ${pending.stdout}${pending.stderr}`);
      else expectThat(pending.code === 0, `nothing to wait for, yet the schema check exited ${pending.code}: ${pending.stderr}`);
      const late = `vaults-ci-upgrade-wait-${tag}`;
      containers.push(late);
      const ready = await runToEnd(late, MIGRATE_IMAGE, { DATABASE_URL: databaseUrl }, SCHEMA_CHECK);
      expectThat(ready.code === 0 && /schema ready/.test(ready.stdout), `the schema check after the Job exited ${ready.code}: ${ready.stdout}${ready.stderr}`);
      // The previous release keeps running on the migrated schema (expand, then contract).
      for (const c of oldFleet.containers) await waitReady(c);
      return added.length
        ? `the Job applied ${added.length} migration(s) (${added.join(', ')}); the check refused before it (exit ${pending.code}) and passed after`
        : 'the Job applied 0 migrations (the previous release had them all): the check passed before and after it';
    });

    await check("upgrade: this release's workers start beside the old ones, the old ones stop cleanly, a second stream drains, the database equals the reference model of both", async () => {
      const fresh = await startFleet(tag, TAG, env);
      containers.push(...fresh.names);
      const exits = await Promise.all(oldFleet.names.map((n) => stopContainer(n, GRACE_SECONDS)));
      expectThat(exits.every((e) => e.exitCode === 0), `old workers exited ${exits.map((e) => e.exitCode).join(', ')}`);
      // The operator's step after the rollout of a release that adds derived state (docs/UPGRADING.md
      // step 6), as `vaults-ops resnapshot --all --recompute` does it: every vault marked from the
      // origin, then one snapshot each. During the rolling update the previous release's snapshot
      // worker can take the new one's start-up requests and fold without the new state.
      const vaults = streams.flatMap((st) => st.sends.map((x) => x.event)).filter((e) => e.type === 'deploy');
      const requests = vaults.map((e) => ({ chainId: e.chainId, vaultAddress: e.vaultAddress }));
      const db = openDatabase(databaseUrl, 1);
      try {
        await markFromOrigin(db, requests);
      } finally {
        await db.close();
      }
      await producer.calculateSnapshots(requests);
      const jobs = await send('upgrade-2');
      const diffs = await verify(databaseUrl, streams.flatMap((s) => s.sends.map((x) => x.event)));
      expectThat(diffs.length === 0, diffs.slice(0, 10).join('\n'));
      return `old workers exited 0 on SIGTERM; ${jobs} more jobs drained by this release's workers; database equals the reference of ${streams.length} streams`;
    });
  } finally {
    unregister();
    await cleanup();
  }
}
