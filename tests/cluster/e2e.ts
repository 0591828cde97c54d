import { QUEUES } from '@vaults/shared';
import type { AnyEvent, LocalCluster } from '@vaults/testkit';
import { generate } from '../faults/lib/workload';
import { sleep } from '../faults/lib/util';
import { ClusterStage } from './stage';
import type { Checks } from './checks';

// End to end on the cluster: the four worker processes, a generated stream (duplicates,
// removals, rough order) with the deploys of a few vaults held back to the end (their events
// wait in delayed retries meanwhile), a kill -9 of the trade worker mid-load (its jobs come back
// through stalled-job recovery); the drained database must equal the reference model, and each
// queue's keys are looked up on the master that holds them.

export async function endToEnd(cluster: LocalCluster, checks: Checks, seed: number): Promise<void> {
  const stage = await ClusterStage.open(cluster, { LOCK_DURATION_MS: '2000', RETRY_BASE_DELAY_MS: '100', RETRY_MAX_DELAY_MS: '1000' });
  try {
    await stage.fleet.start();
    const { deliveries } = generate({ seed, vaults: 12, eventsPerVault: 60 });
    const heldVaults = new Set(deliveries.filter((e) => e.type === 'deploy').slice(0, 3).map((e) => e.vaultAddress.toLowerCase()));
    const held = (e: AnyEvent) => e.type === 'deploy' && heldVaults.has(e.vaultAddress.toLowerCase());
    const first = deliveries.filter((e) => !held(e));
    const half = Math.floor(first.length / 2);
    const t0 = Date.now();
    await stage.deliver(first.slice(0, half), 400);
    // A crash mid-load: its active jobs stay locked until the stall check hands them out again.
    const [trade] = stage.fleet.live('trade-worker');
    trade!.kill('SIGKILL');
    await stage.fleet.spawn('trade-worker').then((w) => w.ready());
    await stage.deliver(first.slice(half), 400);
    await sleep(500); // the held vaults' events are in their retry loop by now
    await stage.deliver(deliveries.filter(held));
    await stage.watch.drained(120_000);
    const drainSeconds = (Date.now() - t0) / 1000;

    const effects = await stage.compare();
    checks.add(
      'e2e: drained database = reference model (cluster, kill -9 of the trade worker, late vaults)',
      effects.diff.length === 0 && effects.expected > 0,
      `${stage.driver.sent} events sent, ${effects.expected} effects expected, found ${effects.found}, lost ${effects.lost}, doubled ${effects.doubled}, wrong ${effects.wrong}; drained in ${drainSeconds.toFixed(1)} s` +
        (effects.diff.length ? `; e.g. ${effects.diff.slice(0, 3).join(' | ')}` : ''),
    );
    let retried = 0;
    let stalled = 0;
    for (const k of ['trade', 'follower'] as const) {
      for (const j of await stage.watch.jobs(k)) {
        if ((j.attemptsStarted ?? 0) > 1) retried++;
        if ((j.stalledCounter ?? 0) > 0) stalled++;
      }
    }
    checks.add('e2e: delayed retries across slots (events before their vault ran again and took effect)', retried > 0, `${retried} trade/follower jobs ran more than once; ${stalled} came back from the killed worker via the stall check`);
    const snap = stage.fleet.live('snapshot-worker')[0]!;
    const metrics = (await snap.get('/metrics')).body;
    const runs = [...metrics.matchAll(/^vaults_jobs_completed_total\{[^}]*job_name="CalculateSnapshot"[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
    const writes = deliveries.filter((e) => e.type !== 'deploy').length;
    checks.add(
      'e2e: snapshot requests from the trade/follower workers reach the snapshot queue (another slot), deduplicated',
      runs > 0 && runs < writes && (await stage.watch.counts('snapshot')).failed === 0,
      `${runs} snapshot runs for ${writes} trade/follower deliveries, none failed; vault metrics equal the reference model`,
    );

    const placed = stage.placement(Object.values(QUEUES).map((q) => q.name));
    const masters = cluster.masters().map((m) => m.port);
    const lines = placed.map((p) => {
      const here = cluster.countKeys(p.master, `${stage.prefix}:{${p.queue}}:*`);
      const elsewhere = masters.filter((m) => m !== p.master).reduce((a, m) => a + cluster.countKeys(m, `${stage.prefix}:{${p.queue}}:*`), 0);
      return { ...p, here, elsewhere };
    });
    for (const l of lines) log(`  ${l.queue.padEnd(26)} keys ${stage.prefix}:{${l.queue}}:* -> master 127.0.0.1:${l.master} (${l.here} keys there, ${l.elsewhere} on other masters)`);
    const distinct = new Set(lines.map((l) => l.master)).size;
    checks.add(
      'placement: each queue\'s keys on one master, the queues spread over the masters',
      lines.every((l) => l.here > 0 && l.elsewhere === 0) && distinct >= 2,
      lines.map((l) => `${l.queue} -> :${l.master}`).join(', ') + ` (${distinct} of ${masters.length} masters)`,
    );
  } finally {
    await stage.close();
  }
}

const log = (m: string) => process.stdout.write(m + '\n');
