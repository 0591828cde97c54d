import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { queueName, type QueueKey } from '@vaults/shared';
import { compileProbe, compileWorkers } from '../lib/compile';
import { baselineRef } from '../ab/baseline-env';
import { checkoutTree, currentTree, CURRENT_ROOT, type Tree } from '../ab/tree';
import { report } from './cpuprofile-summary';
import { measureCeiling } from '../pipelines/ceiling';
import { enqueueBurst } from '../lib/enqueue';
import { EventFactory } from '../lib/events';
import { cpuSeconds, memoryMb, syscalls } from '../lib/probes';
import { metricSum, scrape, startWorkers, stopWorkers, type WorkerProcess } from '../lib/processes';
import { monitorPrefix, perEvent, scriptNames, total } from './redis-monitor';
import { openSession, type Session } from '../lib/session';
import { LocalRedis } from '@vaults/testkit';
import { median, percentiles, pollUntil } from '../lib/stats';
import { noopJob, ownCodeMs, type NoopJob } from '../pipelines/noop-units';
import type { LoopDelays } from './loop-probe';

// The trade worker's own cost per trade, before and after a change, in one run: the services of
// a baseline commit (BENCH_BASELINE, default bench/ab/baseline-ref, checked out in a temporary
// worktree as `pnpm bench` does) and of this one, each as compiled
// JavaScript (trade worker + snapshot worker) on a queue prefix of its own, over one database
// whose vaults are deployed once. Rounds alternate the two, so the machine's noise falls on both.
//   tsx bench/worker/worker-cpu.ts
// Redis is a redis-server of this run's own (WORKER_CPU_SHARED_REDIS=1: the machine's), so its CPU
// and command/read counters per trade are this run's alone.
// WORKER_CPU_TRADES (per round, default 20000), WORKER_CPU_ROUNDS (default 3), WORKER_CPU_VAULTS
// (300), WORKER_CPU_MONITOR (trades of the MONITOR round that counts Redis commands exactly,
// default 2000; 0 skips it), WORKER_CPU_PROFILE=1 (--cpu-prof in every worker; profiles and
// their summaries under bench-results/cpu-prof), WORKER_CPU_CUR_NODE_ARGS (node flags for this
// checkout's workers only, e.g. a GC setting against BENCH_BASELINE=HEAD (the same code)).
// Also in the run: the no-op ceiling (bench/pipelines/ceiling.ts, once before and once after the rounds, as
// `pnpm bench` measures it), so that every cost is printed in no-op jobs too (bench/pipelines/noop-units.ts);
// and each worker's event-loop delay under load, with and without the time it waited for a CPU
// (bench/worker/loop-probe.ts, preloaded into both versions' workers; WORKER_CPU_LOOP_PROBE=0 leaves it out).

const env = process.env;
const TRADES = Number(env.WORKER_CPU_TRADES ?? 20_000);
const ROUNDS = Number(env.WORKER_CPU_ROUNDS ?? 3);
const VAULTS = Number(env.WORKER_CPU_VAULTS ?? 300);
const MONITORED = Number(env.WORKER_CPU_MONITOR ?? 2000);
const PROFILE = env.WORKER_CPU_PROFILE === '1';
const PROFILE_DIR = join(CURRENT_ROOT, 'bench-results', 'cpu-prof');
const LOOP_PROBE = env.WORKER_CPU_LOOP_PROBE !== '0';
const LOOP_DIR = join(CURRENT_ROOT, 'bench-results', 'loop-probe');
const WORKERS = ['trade-worker', 'snapshot-worker'] as const;

interface Variant {
  tag: string;
  prefix: string;
  procs: WorkerProcess[];
  queues: Map<QueueKey, Queue>;
  cpu: Record<string, number[]>;
  /** Per worker, the loop probe's delays (ms) over the rounds' loaded part. */
  loop: Record<string, LoopDelays>;
}

async function main() {
  // A redis-server of our own: its CPU and its INFO counters are this run's alone.
  const redis = env.WORKER_CPU_SHARED_REDIS === '1' ? undefined : await LocalRedis.start();
  const s = await openSession(redis ? { redisUrl: redis.url(), redisPids: () => [redis.proc.pid!] } : {});
  const log = (m: string) => process.stderr.write(`[worker-cpu] ${m}\n`);
  const variants: Variant[] = [];
  let baseline: Tree | undefined;
  try {
    const ref = baselineRef(env);
    if (!ref) throw new Error('worker-cpu.ts compares two trees: BENCH_BASELINE=none is not an option here');
    baseline = checkoutTree(ref, log);
    const factory = new EventFactory(VAULTS, 100);
    await deployVaults(s, factory, log);
    const probe = LOOP_PROBE ? await compileProbe() : undefined;
    for (const [tag, tree] of [['base', baseline], ['cur', currentTree()]] as const) {
      variants.push(await startVariant(s, tag, tree, probe));
      log(`${tag}: ${tree.root} (${tree.commit}) started (${variants.at(-1)!.procs.map((p) => `${p.name} pid ${p.pid}`).join(', ')})`);
    }
    for (const v of variants) await runRound(s, v, factory, 1000); // warm-up (JIT, pools)
    for (const v of variants) v.cpu = {};
    for (const v of variants) v.loop = {};
    const ceilings = [await ceiling(s, factory, log)];
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of r % 2 ? [...variants].reverse() : variants) {
        const cost = await runRound(s, v, factory, TRADES);
        for (const [k, ms] of Object.entries(cost)) (v.cpu[k] ??= []).push(ms);
        log(`round ${r + 1} ${v.tag}: ${Object.entries(cost).map(([k, ms]) => `${k} ${ms.toFixed(4)}`).join(', ')} per trade (CPU ms; counts)`);
      }
    }
    console.log(`\nPer trade (CPU ms of each process; Redis INFO counts), median of ${ROUNDS} rounds of ${TRADES} trades over ${VAULTS} vaults:`);
    for (const v of variants) console.log(`  ${v.tag}: ${Object.entries(v.cpu).map(([k, xs]) => `${k} ${median(xs).toFixed(4)}`).join(', ')}`);
    for (const v of variants) console.log(`  ${v.tag} peak RSS (VmHWM): ${v.procs.map((p) => `${p.name} ${Math.round(memoryMb(p.pid).peak)} MB`).join(', ')}`);
    ceilings.push(await ceiling(s, factory, log));
    printUnits(noopJob(ceilings), variants);
    if (LOOP_PROBE) printLoop(variants);
    if (MONITORED > 0) {
      for (const v of variants) {
        const stop = await monitorPrefix(s.redis, v.prefix, scriptNames(s.redis));
        await runRound(s, v, factory, MONITORED);
        const c = await stop();
        console.log(`\nRedis commands per trade, ${v.tag} (MONITOR, ${MONITORED} trades): ${(total(c.client) / MONITORED).toFixed(3)} sent, ${(total(c.lua) / MONITORED).toFixed(3)} run by scripts`);
        console.log(`  sent: ${perEvent(c.client, MONITORED).join(', ')}`);
        console.log(`  in scripts: ${perEvent(c.lua, MONITORED).join(', ')}`);
      }
    }
  } finally {
    for (const v of variants) await stopVariant(s, v);
    await s.close();
    await redis?.stop();
    baseline?.remove();
  }
  if (!PROFILE) return;
  for (const v of variants) {
    const dir = join(PROFILE_DIR, v.tag);
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
      const pid = Number(f.split('.')[3]);
      console.log(`\n${v.tag} ${v.procs.find((p) => p.pid === pid)?.name ?? pid}: ${report(join(dir, f), 15)}`);
    }
  }
}

async function deployVaults(s: Session, factory: EventFactory, log: (m: string) => void) {
  const compiled = await compileWorkers(['vault-worker']);
  const [vw] = await startWorkers(['vault-worker'], { DATABASE_URL: s.db.url, REDIS_URL: s.redisUrl, QUEUE_PREFIX: s.prefix }, compiled);
  try {
    await enqueueBurst(s.queue('vault'), factory.deploys(), 1000);
    await pollUntil(async () => (await count(s, 'Vault')) === VAULTS, 60_000, 'vaults');
    log(`${VAULTS} vaults deployed`);
  } finally {
    await stopWorkers([vw!]);
  }
}

async function startVariant(s: Session, tag: string, tree: Tree, probe: string | undefined): Promise<Variant> {
  const prefix = `${s.prefix}-${tag}`;
  const compiled = await compileWorkers(WORKERS, tree);
  if (PROFILE) mkdirSync(PROFILE_DIR, { recursive: true });
  // Node names each profile CPU.<date>.<time>.<pid>...: the log line of the start names the pids.
  const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, tag)}`] : [];
  if (tag === 'cur') nodeArgs.push(...(env.WORKER_CPU_CUR_NODE_ARGS ?? '').split(' ').filter(Boolean));
  const probeEnv: Record<string, string> = {};
  if (probe) {
    nodeArgs.push('--require', probe);
    probeEnv.LOOP_PROBE_DIR = join(LOOP_DIR, tag);
    rmSync(probeEnv.LOOP_PROBE_DIR, { recursive: true, force: true });
    mkdirSync(probeEnv.LOOP_PROBE_DIR, { recursive: true });
  }
  const procs = await startWorkers(WORKERS, { DATABASE_URL: s.db.url, REDIS_URL: s.redisUrl, QUEUE_PREFIX: prefix, ...probeEnv }, compiled, tree, nodeArgs);
  const queues = new Map<QueueKey, Queue>((['trade', 'snapshot'] as const).map((k) => [k, new Queue(queueName(k), { connection: s.redis, prefix })]));
  return { tag, prefix, procs, queues, cpu: {}, loop: {} };
}

/** The no-op ceiling as `pnpm bench` runs it (c=100, bench/pipelines/ceiling.ts), on this run's Redis. */
async function ceiling(s: Session, factory: EventFactory, log: (m: string) => void) {
  const c = await measureCeiling(s, factory.trades(TRADES), 1000, 100);
  log(`no-op ceiling: ${c.perSecond}/s, no-op worker ${c.cpuMsPerEvent['noop-worker']} + redis ${c.cpuMsPerEvent.redis} CPU ms per job`);
  return c;
}

/** Each version's CPU per trade in no-op jobs of this run, and the trade worker's own code above the no-op worker. */
function printUnits(noop: NoopJob, variants: Variant[]) {
  const u = (ms: number) => `${ms.toFixed(4)} ms = ${(ms / noop.ms).toFixed(2)}`;
  console.log(`\nIn no-op jobs (1 no-op job = ${noop.ms.toFixed(4)} CPU ms: no-op worker ${noop.worker.toFixed(4)} + Redis ${noop.redis.toFixed(4)}, mean of 2 ceiling runs):`);
  for (const v of variants) {
    const ms = Object.fromEntries(Object.entries(v.cpu).map(([k, xs]) => [k, median(xs)]));
    const own = ownCodeMs('trades', ms, noop)!;
    console.log(`  ${v.tag}: ${WORKERS.map((w) => `${w} ${u(ms[w]!)}`).join(', ')}, redis ${u(ms.redis!)}; trade-worker own code ${u(own)}`);
  }
}

function printLoop(variants: Variant[]) {
  console.log('\nEvent-loop delay under load (ms, timer every 10 ms, loaded part of every round; own = without run-queue waits, bench/worker/loop-probe.ts):');
  const f = (xs: number[]) => {
    const p = percentiles(xs);
    return `p50 ${p.p50.toFixed(1)} p99 ${p.p99.toFixed(1)} max ${p.max.toFixed(1)}`;
  };
  for (const v of variants) {
    for (const [w, d] of Object.entries(v.loop)) {
      const gcMs = d.gc.reduce((a, x) => a + x, 0);
      console.log(`  ${v.tag} ${w}: total ${f(d.total)}; own ${f(d.own)} (${d.total.length} firings); GC pauses ${f(d.gc)}, ${d.gc.filter((x) => x > 10).length} > 10 ms, ${Math.round(gcMs)} ms in all`);
    }
  }
}

/** SIGUSR2 to each worker's loop probe: it writes its delays since the last one. `keep`: add them to the variant's. */
async function dumpLoop(v: Variant, keep: boolean) {
  if (!LOOP_PROBE) return;
  for (const p of v.procs) {
    const n = (dumps.get(p.pid) ?? 0) + 1;
    dumps.set(p.pid, n);
    const file = join(LOOP_DIR, v.tag, `${p.pid}-${n}.json`);
    process.kill(p.pid, 'SIGUSR2');
    await pollUntil(async () => existsSync(file), 10_000, `${p.name} loop probe`);
    if (!keep) continue;
    const d = JSON.parse(readFileSync(file, 'utf8')) as LoopDelays;
    const acc = (v.loop[p.name] ??= { total: [], own: [], gc: [] });
    for (const k of ['total', 'own', 'gc'] as const) for (const x of d[k]) acc[k].push(x);
  }
}
const dumps = new Map<number, number>();

/** Enqueues `n` trades on the variant's queue and waits until they and their snapshots are done. */
async function runRound(s: Session, v: Variant, factory: EventFactory, n: number): Promise<Record<string, number>> {
  const trades = factory.trades(n);
  const before = await count(s, 'Trade');
  const cpu0 = cpuOf(s, v);
  const redis0 = await redisCounters(s);
  const snap0 = await snapshotCounters(v);
  await dumpLoop(v, false);
  await enqueueBurst(v.queues.get('trade')!, trades, 1000);
  await pollUntil(async () => (await count(s, 'Trade')) === before + n, 300_000, `${v.tag} trades`);
  // The loaded part only: the trade worker idles from here on, which would dilute its delays.
  await dumpLoop(v, true);
  await pollUntil(async () => {
    for (const q of v.queues.values()) {
      const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(c).some((x) => x > 0)) return false;
    }
    return true;
  }, 300_000, `${v.tag} queues to drain`);
  const cpu1 = cpuOf(s, v);
  const redis1 = await redisCounters(s);
  const snap1 = await snapshotCounters(v);
  const perTrade = (a: Record<string, number>, b: Record<string, number>, scale: number) =>
    Object.keys(b).map((k) => [k, ((b[k]! - a[k]!) * scale) / n] as const);
  return Object.fromEntries([...perTrade(cpu0, cpu1, 1000), ...perTrade(redis0, redis1, 1), ...perTrade(snap0, snap1, 1)]);
}

/**
 * The snapshot worker's runs (completed CalculateSnapshot jobs) and its re-queued jobs (busy
 * tries: the vault's lock held by writers, lock protocol rule 5), from its /metrics.
 */
async function snapshotCounters(v: Variant): Promise<Record<string, number>> {
  const samples = await scrape(v.procs.find((p) => p.name === 'snapshot-worker')!.port);
  return {
    'snapshot runs': metricSum(samples, 'vaults_jobs_completed_total', { job_name: 'CalculateSnapshot' }),
    'snapshot re-queued': metricSum(samples, 'vaults_jobs_retried_total', { job_name: 'CalculateSnapshot' }),
  };
}

/** CPU seconds so far of the variant's workers and of the Redis server (shared with others); the trade worker's system calls (/1000: perTrade scales by 1000). */
function cpuOf(s: Session, v: Variant): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of v.procs) out[p.name] = cpuSeconds(p.pid);
  // The trade worker's system calls (socket writes and reads: Redis and Postgres round trips), counts per trade.
  const trade = v.procs.find((p) => p.name === 'trade-worker');
  if (trade) {
    const io = syscalls(trade.pid);
    out['trade-worker write syscalls'] = io.writes / 1000;
    out['trade-worker read syscalls'] = io.reads / 1000;
  }
  out.redis = (s.redisPids?.() ?? []).reduce((a, pid) => a + cpuSeconds(pid), 0);
  return out;
}

/** Commands processed (script calls included) and read events (about one per round trip of a client). */
async function redisCounters(s: Session): Promise<Record<string, number>> {
  const info = await s.redis.info('stats');
  const field = (k: string) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return { 'redis commands': field('total_commands_processed'), 'redis reads': field('total_reads_processed') };
}

async function count(s: Session, table: 'Trade' | 'Vault'): Promise<number> {
  const { rows } = await s.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
  return rows[0]!.n;
}

async function stopVariant(s: Session, v: Variant) {
  await stopWorkers(v.procs);
  for (const q of v.queues.values()) await q.close().catch(() => undefined);
  let cursor = '0';
  do {
    const [next, keys] = await (s.redis as import('ioredis').Redis).scan(cursor, 'MATCH', `${v.prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await s.redis.unlink(...keys);
  } while (cursor !== '0');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
