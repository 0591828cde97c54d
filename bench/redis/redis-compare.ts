import { LocalCluster, LocalRedis } from '@vaults/testkit';
import { renderCapacity, type Costs } from '../capacity/capacity';
import { runPipeline, type Kind } from '../pipelines/pipeline';
import { CpuMeter, cpuCost } from '../lib/probes';
import { table } from '../pipelines/report';
import { openSession } from '../lib/session';
import type { Settings } from '../lib/settings';
import { median } from '../lib/stats';
import { startSystem } from '../lib/system';
import { verifyState } from '../lib/verify';

// BENCH_REDIS=cluster pnpm bench: the same pipelines on a standalone redis-server and on a
// 3-master Redis Cluster, both our own and started with the same settings (no persistence, no
// replicas), alternated BENCH_ROUNDS times (default 2) so that the neighbours' load on this
// shared machine falls on both. Reports events/s, Redis CPU ms per event in total and on the
// busiest master, and the capacity model with the cluster's measured per-master cost.

interface Run {
  target: 'standalone' | 'cluster';
  kind: Kind;
  perSecond: number;
  costs: Costs;
  ok: boolean;
}

export async function compareRedis(settings: Settings, log: (m: string) => void): Promise<{ text: string; ok: boolean }> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const standalone = await LocalRedis.start();
  const cluster = await LocalCluster.start({ masters: 3, replicasPerMaster: 0 });
  const runs: Run[] = [];
  try {
    log(`standalone ${standalone.url()}; cluster ${cluster.url()}`);
    for (let round = 0; round < rounds; round++) {
      // A B, then B A: neither always runs first.
      const order = round % 2 ? (['cluster', 'standalone'] as const) : (['standalone', 'cluster'] as const);
      for (const target of order) runs.push(...(await runOn(target, target === 'cluster' ? cluster : standalone, settings, log)));
    }
  } finally {
    await Promise.all([standalone.stop(), cluster.stop()]);
  }
  return { text: render(runs, rounds), ok: runs.every((r) => r.ok) };
}

async function runOn(target: Run['target'], server: LocalCluster | LocalRedis, settings: Settings, log: (m: string) => void): Promise<Run[]> {
  const masters = server instanceof LocalCluster ? server.masters().map((m) => m.port) : [server.port];
  const pidOf = (port: number) => (server instanceof LocalCluster ? server.pidOf(port) : server.proc.pid!);
  const s = await openSession({ redisUrl: server.url(), redisPids: () => masters.map(pidOf) });
  // One more try if start-up fails: a sidecar port that was free a moment ago can be taken by a
  // neighbour before the worker binds it (EADDRINUSE) on this shared machine.
  const system = await startSystem(s, settings, log)
    .catch((err) => {
      log(`${target}: start-up failed (${(err as Error).message}); once more`);
      return startSystem(s, settings, log);
    })
    .catch(async (err) => {
      await s.close();
      throw err;
    });
  const out: Run[] = [];
  try {
    for (const kind of ['trades', 'followers'] as const) {
      const events = kind === 'trades' ? system.factory.trades(settings.events) : system.factory.followerEvents(settings.events);
      system.delivered.push(...events);
      log(`${target}: ${kind} end to end, ${events.length} events`);
      const perMaster = new CpuMeter(Object.fromEntries(masters.map((p) => [`redis:${p}`, () => [pidOf(p)]])));
      const p = await runPipeline(system.rig, kind, events, settings.chunk);
      const masterCost = cpuCost(perMaster.stop(), events.length).cpuMsPerEvent;
      const busiest = Math.max(...masters.map((m) => masterCost[`redis:${m}`] ?? 0));
      out.push({ target, kind, perSecond: p.perSecond, costs: { ...p.cpuMsPerEvent, 'redis:busiest': busiest }, ok: true });
    }
    const v = await verifyState(s.db.url, system.delivered);
    if (!v.ok) log(`${target}: database differs from the reference model: ${v.sample.join('; ')}`);
    for (const r of out) r.ok = v.ok;
  } finally {
    await system.stop();
    await s.close();
  }
  return out;
}

function render(runs: Run[], rounds: number): string {
  const of = (t: Run['target'], k: Kind) => runs.filter((r) => r.target === t && r.kind === k);
  const med = (xs: number[]) => median(xs);
  const lines = [`Standalone vs cluster, same run (${rounds} round(s) each, alternated; medians, [min-max]):`];
  const rows: (string | number)[][] = [];
  for (const kind of ['trades', 'followers'] as const) {
    const [a, b] = [of('standalone', kind), of('cluster', kind)];
    const rate = (rs: Run[]) => `${Math.round(med(rs.map((r) => r.perSecond)))} [${Math.min(...rs.map((r) => r.perSecond))}-${Math.max(...rs.map((r) => r.perSecond))}]`;
    const cost = (rs: Run[], g: string) => med(rs.map((r) => r.costs[g] ?? 0)).toFixed(3);
    rows.push([kind, rate(a), rate(b), (med(b.map((r) => r.perSecond)) / med(a.map((r) => r.perSecond))).toFixed(2), cost(a, 'redis'), cost(b, 'redis'), cost(b, 'redis:busiest'), cost(a, 'total'), cost(b, 'total')]);
  }
  lines.push(table(['stream', 'standalone ev/s', 'cluster ev/s', 'cluster/standalone', 'redis ms/ev standalone', 'redis ms/ev cluster (all masters)', 'busiest master', 'total ms/ev standalone', 'total ms/ev cluster'], rows));
  lines.push(`database = reference model: ${runs.every((r) => r.ok) ? 'exact, every run' : 'DIFFERS (see the log)'}`);
  lines.push('');
  const clusterCosts = (k: Kind): Costs => {
    const rs = of('cluster', k);
    return Object.fromEntries(Object.keys(rs[0]?.costs ?? {}).map((g) => [g, med(rs.map((r) => r.costs[g] ?? 0))]));
  };
  lines.push(renderCapacity((['trades', 'followers'] as const).map((kind) => ({ kind, costs: clusterCosts(kind) }))));
  return lines.join('\n');
}
