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
import { PgCluster } from '../tests/faults/lib/servers';
import { runPipeline } from './pipeline';
import { CpuMeter, cpuCost, postgresPidsFor } from './probes';
import { table } from './report';
import { openSession } from './session';
import { loadSettings } from './settings';
import { median } from './stats';
import { startSystem } from './system';

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
}

/** The model: the trade rate two cores allow with this placement (see the header). */
export function predictPinned(replicas: number, c: { trade: number; bench: number; data: number }): number {
  if (replicas === 1) return Math.min(1000 / (c.trade + c.bench), 1000 / c.data);
  let best = 0;
  for (let i = 0; i <= 100; i++) {
    const x = i / 100;
    best = Math.max(best, Math.min(1000 / (x * c.trade + c.bench), 1000 / ((1 - x) * c.trade + c.data)));
  }
  return best;
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
    const meter = new CpuMeter({ trade: () => trades.map((w) => w.pid), bench: () => 'self', data });
    const batch = system.factory.trades(events);
    system.delivered.push(...batch);
    const p = await runPipeline(system.rig, 'trades', batch, settings.chunk);
    const c = cpuCost(meter.stop(), batch.length).cpuMsPerEvent;
    log(`${replicas} replica(s): ${p.perSecond} trades/s; CPU ms/event trade ${c.trade}, bench ${c.bench}, data side ${c.data}`);
    return { replicas, perSecond: p.perSecond, trade: c.trade!, bench: c.bench!, data: c.data! };
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
  const med = (rs: Measured[], k: keyof Measured) => median(rs.map((r) => r[k]));
  const one = { trade: med(of(1), 'trade'), bench: med(of(1), 'bench'), data: med(of(1), 'data') };
  const spread = (rs: Measured[]) => `${Math.min(...rs.map((r) => r.perSecond))}-${Math.max(...rs.map((r) => r.perSecond))}`;
  const rows = [1, 2].map((n) => {
    const predicted = predictPinned(n, one);
    const measured = med(of(n), 'perSecond');
    return [`${n} trade-worker replica(s)`, Math.round(predicted), Math.round(measured), spread(of(n)), `${(((measured - predicted) / predicted) * 100).toFixed(0)}%`,
      med(of(n), 'trade').toFixed(3), med(of(n), 'bench').toFixed(3), med(of(n), 'data').toFixed(3)];
  });
  const ratioPred = predictPinned(2, one) / predictPinned(1, one);
  const ratios = of(1).map((r, i) => (of(2)[i]?.perSecond ?? NaN) / r.perSecond);
  return [
    'Capacity model vs measurement: postgres + redis + snapshot/vault/follower workers on core 1, trade replica 1 (+ bench) on core 0, replica 2 on core 1',
    table(['configuration', 'predicted trades/s', 'measured (median)', 'measured min-max', 'off by', 'trade ms/ev', 'bench ms/ev', 'data side ms/ev'], rows),
    `2 vs 1 replica: predicted x${ratioPred.toFixed(2)}, measured x${median(ratios).toFixed(2)} (median of ${ratios.length} paired rounds; pairs ${ratios.map((x) => x.toFixed(2)).join(', ')})`,
    'Predictions use the one-replica runs\' CPU ms per event (medians); both cores are shared with other users of this machine.',
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
