// Tuning experiments: the trade and follower pipelines under different worker settings, each
// configuration on a fresh database and prefix, with its own no-op ceiling at the same
// concurrency. `pnpm exec tsx bench/capacity/tune.ts`; BENCH_TUNE=name,name picks configurations,
// BENCH_TUNE_REPEAT=n repeats the whole list n times (interleaved, to spread the neighbours'
// noise over all of them), BENCH_EVENTS sets N (default 5,000), BENCH_TUNE_LATENCY=1 adds 5 s at
// 1,000 events/s per pipeline (p99 enqueue-to-commit). Writes bench-results/tune-*.json.
import { measureCeiling } from '../pipelines/ceiling';
import { installCommitNotify, runLatency, type LatencyResult } from '../pipelines/latency';
import { EventFactory } from '../lib/events';
import { runPipeline, type PipelineResult } from '../pipelines/pipeline';
import { machineBusyCores, memoryMb } from '../lib/probes';
import { envFor } from '../lib/processes';
import { table, writeJson } from '../pipelines/report';
import { openSession } from '../lib/session';
import { loadSettings } from '../lib/settings';
import { startSystem } from '../lib/system';

const both = (env: Record<string, string | number>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).flatMap(([k, v]) => [[`trade-worker.${k}`, String(v)], [`follower-worker.${k}`, String(v)]]));

export const CONFIGS: Record<string, Record<string, string>> = {
  default: {},
  'c200': both({ WORKER_CONCURRENCY: 200 }),
  'c400': both({ WORKER_CONCURRENCY: 400 }),
  'c400-b400': both({ WORKER_CONCURRENCY: 400, BATCH_MAX_SIZE: 400 }),
  'c1000-b500': both({ WORKER_CONCURRENCY: 1000, BATCH_MAX_SIZE: 500 }),
  'wait0': both({ BATCH_MAX_WAIT_MS: 0 }),
  'wait20': both({ BATCH_MAX_WAIT_MS: 20 }),
  'pool4': both({ DB_POOL_SIZE: 4 }),
  'pool20': both({ DB_POOL_SIZE: 20 }),
  'snap1': { 'snapshot-worker.WORKER_CONCURRENCY': '1' },
  'snap2': { 'snapshot-worker.WORKER_CONCURRENCY': '2' },
  'snap16': { 'snapshot-worker.WORKER_CONCURRENCY': '16' },
  'c400-pool4': both({ WORKER_CONCURRENCY: 400, DB_POOL_SIZE: 4 }),
  'c400-snap2': { ...both({ WORKER_CONCURRENCY: 400 }), 'snapshot-worker.WORKER_CONCURRENCY': '2' },
  'c400-b400-snap2': { ...both({ WORKER_CONCURRENCY: 400, BATCH_MAX_SIZE: 400 }), 'snapshot-worker.WORKER_CONCURRENCY': '2' },
  // No snapshot worker at all: what the snapshots cost the writers (requests still go to Redis).
  'no-snapshots': {},
  // Memory: a smaller young generation / old-space limit (V8 sizes them from the machine's RAM).
  'semi4': { NODE_OPTIONS: '--max-semi-space-size=4' },
  'old160': { NODE_OPTIONS: '--max-old-space-size=160' },
};

const WITHOUT_SNAPSHOTS = new Set(['no-snapshots']);

const log = (msg: string) => process.stderr.write(`[tune ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface Row {
  config: string;
  repeat: number;
  backgroundCores: number;
  ceiling: number;
  trades: PipelineResult;
  followers: PipelineResult;
  peakRssMb: Record<string, number>;
  latency?: LatencyResult[];
}

let cleanup: (() => Promise<void>) | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(130)));

async function runConfig(name: string, repeat: number): Promise<Row> {
  const base = loadSettings();
  const settings = {
    ...base,
    workerEnv: { ...base.workerEnv, ...CONFIGS[name]! },
    workers: WITHOUT_SNAPSHOTS.has(name) ? base.workers.filter((w) => w !== 'snapshot-worker') : base.workers,
  };
  const s = await openSession();
  cleanup = () => s.close();
  try {
    const backgroundCores = await machineBusyCores(1000);
    const concurrency = Number(envFor('trade-worker', settings.workerEnv).WORKER_CONCURRENCY ?? 100);
    const ceiling = await measureCeiling(s, new EventFactory(settings.vaults, settings.followers, 1).trades(settings.events), settings.chunk, concurrency);
    const system = await startSystem(s, settings, log);
    cleanup = async () => {
      await system.stop();
      await s.close();
    };
    try {
      const { rig, factory: f, delivered } = system;
      const trades = f.trades(settings.events);
      const followers = f.followerEvents(settings.events);
      delivered.push(...trades, ...followers);
      const t = await runPipeline(rig, 'trades', trades, settings.chunk);
      const fo = await runPipeline(rig, 'followers', followers, settings.chunk);
      let latency: LatencyResult[] | undefined;
      if (process.env.BENCH_TUNE_LATENCY === '1') {
        await installCommitNotify(s.pg);
        latency = [];
        for (const kind of ['trades', 'followers'] as const) {
          const events = kind === 'trades' ? f.trades(settings.latencyRate * 5) : f.followerEvents(settings.latencyRate * 5);
          delivered.push(...events);
          latency.push(await runLatency(rig, kind, events, settings.latencyRate));
        }
      }
      const peakRssMb = Object.fromEntries(rig.workers.map((w) => [w.name, Math.round(memoryMb(w.pid).peak)]));
      return { config: name, repeat, backgroundCores, ceiling: ceiling.perSecond, trades: t, followers: fo, peakRssMb, latency };
    } finally {
      await system.stop();
    }
  } finally {
    await s.close();
  }
}

async function main(): Promise<void> {
  const names = process.env.BENCH_TUNE?.split(',').map((n) => n.trim()).filter(Boolean) ?? Object.keys(CONFIGS);
  for (const n of names) if (!CONFIGS[n]) throw new Error(`unknown configuration ${n} (have ${Object.keys(CONFIGS).join(', ')})`);
  const repeats = Number(process.env.BENCH_TUNE_REPEAT ?? 1);
  const rows: Row[] = [];
  const startedAt = new Date().toISOString();
  for (let r = 0; r < repeats; r++) {
    for (const name of names) {
      log(`${name} (${r + 1}/${repeats}): ${JSON.stringify(CONFIGS[name])}`);
      rows.push(await runConfig(name, r));
      const last = rows[rows.length - 1]!;
      log(`  trades ${last.trades.perSecond}/s, followers ${last.followers.perSecond}/s, ceiling ${last.ceiling}/s`);
    }
  }
  const x = (p: PipelineResult, c: number) => (p.perSecond / c).toFixed(2);
  process.stdout.write(
    table(
      ['config', 'busy before', 'ceiling/s', 'trades/s', 'x', 'jobs/tx', 'ms/tx', 'p99 ms', 'cpu ms/ev', 'if ours/s', 'adv lock', 'EL p99', 'followers/s', 'x', 'jobs/tx', 'ms/tx', 'p99 ms', 'cpu ms/ev', 'if ours/s', 'snap/trade', 'RSS MB t/f/s', '@1000/s p99 t/f'],
      rows.map((r) => [
        r.config, r.backgroundCores, r.ceiling,
        r.trades.perSecond, x(r.trades, r.ceiling), r.trades.batch.meanJobs.toFixed(0), r.trades.batch.meanTxMs.toFixed(0), r.trades.latency.p99.toFixed(0),
        r.trades.cpuMsPerEvent.total!, r.trades.projectedPerSecond,
        `${Math.round(100 * (r.trades.pgWaits.find((w) => w.state === 'active/Lock:advisory')?.share ?? 0))}%`,
        r.trades.eventLoopLagMs['trade-worker']?.p99 ?? '',
        r.followers.perSecond, x(r.followers, r.ceiling), r.followers.batch.meanJobs.toFixed(0), r.followers.batch.meanTxMs.toFixed(0), r.followers.latency.p99.toFixed(0),
        r.followers.cpuMsPerEvent.total!, r.followers.projectedPerSecond,
        r.trades.snapshotRunsPerEvent.toFixed(3),
        `${r.peakRssMb['trade-worker']}/${r.peakRssMb['follower-worker']}/${r.peakRssMb['snapshot-worker'] ?? '-'}`,
        r.latency ? r.latency.map((l) => l.commit.p99.toFixed(0)).join('/') : '',
      ]),
    ) + '\n',
  );
  log(`wrote ${writeJson({ startedAt, settings: loadSettings(), configs: CONFIGS, rows }, `tune-${startedAt}`)}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`tune failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
