// pnpm bench:capacity — checks the capacity model against a measurement on this 2-core machine.
// A Postgres and a Redis of our own are pinned (taskset) to core 1 together with the snapshot,
// vault and follower workers: the data side. One trade-worker replica runs on core 0 (with the
// bench, which enqueues); a second replica, when there is one, on core 1. The model predicts
// each configuration's trade rate from the CPU ms per event measured with one replica:
//   1 replica:  min(1000 / (trade + bench), 1000 / data side)
//   2 replicas: the best split x of the jobs between the replicas of
//               min(1000 / (x·trade + bench), 1000 / ((1-x)·trade + data side))
// and the runs alternate 1, 2, 1, 2, … (BENCH_ROUNDS each, default 3) so the neighbours' load
// falls on both. Medians, with [min-max] to show the noise.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRedis } from '@vaults/testkit';
import { PgCluster } from '../../tests/faults/lib/servers';
import { runPipeline } from '../pipelines/pipeline';
import { CpuMeter, cpuCost, postgresPidsFor } from '../lib/probes';
import { table } from '../pipelines/report';
import { openSession } from '../lib/session';
import { loadSettings } from '../lib/settings';
import { median } from '../lib/stats';
import { startSystem } from '../lib/system';

const log = (msg: string) => process.stderr.write(`[capacity ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function pin(pid: number, core: number): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset ${pid}: ${r.stderr}`);
}

function childrenOf(pid: number): number[] {
  return spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
}

interface Measured {
  replicas: number;
  perSecond: number;
  /** CPU ms per event: trade (all replicas), bench, data (postgres, redis, other workers). */
  trade: number;
  bench: number;
  data: number;
  /** Share of core 0 and core 1 that the neighbours left us during the run. */
  free: [number, number];
}

type Costs = { trade: number; bench: number; data: number };

/**
 * The model: the trade rate the CPU left on the two cores allows with this placement (see the
 * header). `free` scales each core by what other users of the machine left of it.
 */
export function predictPinned(replicas: number, c: Costs, free: [number, number] = [1, 1]): number {
  const [f0, f1] = free;
  if (replicas === 1) return Math.min((1000 * f0) / (c.trade + c.bench), (1000 * f1) / c.data);
  let best = 0;
  for (let i = 0; i <= 100; i++) {
    const x = i / 100;
    best = Math.max(best, Math.min((1000 * f0) / (x * c.trade + c.bench), (1000 * f1) / ((1 - x) * c.trade + c.data)));
  }
  return best;
}

/** Busy and total jiffies of cores 0 and 1 (/proc/stat). */
function coreTicks(): { busy: number; total: number }[] {
  return readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu[01] /.test(l)).map((l) => {
    const v = l.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
  });
}

async function measure(replicas: number, redis: LocalRedis, pg: PgCluster, events: number): Promise<Measured> {
  const settings = { ...loadSettings(), events, workers: ['vault-worker', 'trade-worker', 'follower-worker', 'snapshot-worker', ...Array(replicas - 1).fill('trade-worker')] };
  const s = await openSession({ redisUrl: redis.url(), redisPids: () => [redis.proc.pid!], pgUrl: pg.url('postgres') });
  const system = await startSystem(s, settings, log).catch(async (err) => {
    await s.close();
    throw err;
  });
  try {
    const trades = system.rig.workers.filter((w) => w.name === 'trade-worker');
    for (const w of system.rig.workers) pin(w.pid, w.name === 'trade-worker' && w !== trades[1] ? 0 : 1);
    const data = () => [...postgresPidsFor(s.db.name), redis.proc.pid!, ...system.rig.workers.filter((w) => w.name !== 'trade-worker').map((w) => w.pid)];
    const meter = new CpuMeter({ trade0: () => [trades[0]!.pid], trade1: () => trades.slice(1).map((w) => w.pid), bench: () => 'self', data });
    const ticks0 = coreTicks();
    const batch = system.factory.trades(events);
    system.delivered.push(...batch);
    const p = await runPipeline(system.rig, 'trades', batch, settings.chunk);
    const usage = meter.stop();
    const ticks1 = coreTicks();
    // What the neighbours took of each core: its busy share minus what our pinned processes used.
    const ours = [usage.cores.trade0! + usage.cores.bench!, usage.cores.data! + usage.cores.trade1!];
    const free = ticks1.map((t, i) => {
      const busy = (t.busy - ticks0[i]!.busy) / Math.max(1, t.total - ticks0[i]!.total);
      return Math.min(1, Math.max(0.05, 1 - (busy - ours[i]!)));
    }) as [number, number];
    const c = cpuCost(usage, batch.length).cpuMsPerEvent;
    const trade = c.trade0! + c.trade1!;
    log(`${replicas} replica(s): ${p.perSecond} trades/s; CPU ms/event trade ${trade.toFixed(3)}, bench ${c.bench}, data side ${c.data}; cores left by neighbours ${free.map((f) => f.toFixed(2)).join(', ')}`);
    return { replicas, perSecond: p.perSecond, trade, bench: c.bench!, data: c.data!, free };
  } finally {
    await system.stop();
    await s.close();
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const events = Number(process.env.BENCH_EVENTS ?? 10_000);
  pin(process.pid, 0); // the bench (the producer) on core 0; children inherit it until pinned
  const pg = await PgCluster.start();
  const redis = await LocalRedis.start();
  try {
    const postmaster = Number(readFileSync(join(pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    // New backends inherit the postmaster's affinity; its helpers are pinned one by one.
    for (const pid of [postmaster, ...childrenOf(postmaster), redis.proc.pid!]) pin(pid, 1);
    log(`postgres (pid ${postmaster}) and redis (pid ${redis.proc.pid}) pinned to core 1; ${rounds} rounds of ${events} trades`);
    const runs: Measured[] = [];
    for (let r = 0; r < rounds; r++) for (const n of [1, 2]) runs.push(await measure(n, redis, pg, events));
    process.stdout.write(render(runs) + '\n');
  } finally {
    await redis.stop();
    await pg.destroy();
  }
}

function render(runs: Measured[]): string {
  const of = (n: number) => runs.filter((r) => r.replicas === n);
  const med = (rs: Measured[], f: (r: Measured) => number) => median(rs.map(f));
  // The model's inputs: the one-replica runs' costs (medians).
  const one: Costs = { trade: med(of(1), (r) => r.trade), bench: med(of(1), (r) => r.bench), data: med(of(1), (r) => r.data) };
  const rows = [1, 2].map((n) => {
    const rs = of(n);
    const measured = med(rs, (r) => r.perSecond);
    // Each run against its own prediction (the CPU the neighbours left varies run to run).
    const errors = rs.map((r) => r.perSecond / predictPinned(n, one, r.free) - 1);
    return [
      `${n} trade-worker replica(s)`, Math.round(predictPinned(n, one)), Math.round(med(rs, (r) => predictPinned(n, one, r.free))),
      Math.round(measured), `${Math.min(...rs.map((r) => r.perSecond))}-${Math.max(...rs.map((r) => r.perSecond))}`,
      `${(median(errors) * 100).toFixed(0)}%`, med(rs, (r) => r.free[0]).toFixed(2) + ' / ' + med(rs, (r) => r.free[1]).toFixed(2),
      med(rs, (r) => r.trade).toFixed(3), med(rs, (r) => r.data).toFixed(3),
    ];
  });
  const pairs = of(1).map((r, i) => [r, of(2)[i]] as const).filter((p): p is readonly [Measured, Measured] => !!p[1]);
  const measuredRatios = pairs.map(([a, b]) => b.perSecond / a.perSecond);
  const predictedRatios = pairs.map(([a, b]) => predictPinned(2, one, b.free) / predictPinned(1, one, a.free));
  return [
    'Capacity model vs measurement: postgres + redis + snapshot/vault/follower workers on core 1; trade replica 1 and the bench on core 0; replica 2 on core 1',
    table(['configuration', 'predicted (idle machine)', 'predicted (CPU left)', 'measured (median)', 'measured min-max', 'off by (median)', 'cores left 0 / 1', 'trade ms/ev', 'data side ms/ev'], rows),
    `2 vs 1 replica: predicted x${(predictPinned(2, one) / predictPinned(1, one)).toFixed(2)} on an idle machine, x${median(predictedRatios).toFixed(2)} with the CPU left; ` +
      `measured x${median(measuredRatios).toFixed(2)} (median of ${pairs.length} adjacent pairs: ${measuredRatios.map((x) => x.toFixed(2)).join(', ')})`,
    'Inputs: the one-replica runs\' CPU ms per event (medians). "CPU left": each core\'s share not used by other users of this shared machine during that run.',
  ].join('\n');
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`capacity check failed: ${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
