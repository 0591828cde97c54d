// pnpm test:cluster — the system on a Redis Cluster of its own (3 masters + 3 replicas on free
// ports, never 6379): where each queue's keys live, an end-to-end run against the reference
// model, the contract rules, a reduced property test and the Bull Board test through jest, the demo stream, and a
// master killed under load. Prints each check and ends with `N passed, M failed`.
// CLUSTER_SEED changes the streams; CLUSTER_PROPERTY_RUNS (default 3) sizes the property test;
// CLUSTER_ONLY=e2e,jest,demo,failover runs a subset; CLUSTER_VERBOSE=1 echoes the sub-suites.
import { LocalCluster } from '@vaults/testkit';
import { LIVE_PROCESSES } from '../faults/lib/workers';
import { Checks } from './checks';
import { endToEnd } from './e2e';
import { failover } from './failover';
import { demoOnCluster, jestOnCluster } from './subprocess-suites';

async function main(): Promise<number> {
  const t0 = Date.now();
  const seed = Number(process.env.CLUSTER_SEED ?? 20261128);
  const only = process.env.CLUSTER_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  const want = (name: string) => !only || only.includes(name);
  const checks = new Checks();
  const cluster = await LocalCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2000 });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const w of LIVE_PROCESSES) w.kill('SIGKILL');
      void cluster.stop().finally(() => process.exit(130));
    });
  }
  try {
    log(`cluster: ${cluster.url()} (3 masters + 3 replicas, cluster-node-timeout 2000 ms)`);
    for (const m of cluster.masters()) log(`  master 127.0.0.1:${m.port} slots ${m.slots.map(([a, b]) => `${a}-${b}`).join(',')}`);
    if (want('e2e')) await checks.step('e2e', () => endToEnd(cluster, checks, seed));
    if (want('jest')) {
      await checks.step('jest', () =>
        jestOnCluster(cluster, checks, ['tests/contract/rules.test.ts', 'tests/property/convergence.test.ts', 'services/bull-board/test/board.int.test.ts'], {
          PROPERTY_RUNS: process.env.CLUSTER_PROPERTY_RUNS ?? '3',
        }),
      );
    }
    if (want('demo')) await checks.step('demo', () => demoOnCluster(cluster, checks));
    if (want('failover')) await checks.step('failover', async () => void (await failover(cluster, checks, seed + 1)));
  } finally {
    for (const w of LIVE_PROCESSES) w.kill('SIGKILL');
    await cluster.stop();
  }
  log(`\ncluster suite: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  log(checks.summary());
  return checks.all.length > 0 && checks.all.every((c) => c.ok) ? 0 : 1;
}

const log = (m: string) => process.stdout.write(m + '\n');

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`cluster suite failed: ${(err as Error).stack}\n`);
    process.stdout.write('0 passed, 1 failed\n');
    process.exit(1);
  },
);
