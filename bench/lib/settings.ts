import { noiseFromEnv } from '@vaults/testkit';
// What a run measures and how big it is. BENCH_MODE=quick (default; CI-size, ~1-2 min) or full.
import { SERVICES } from '@vaults/shared';
import { baselineRef } from '../ab/baseline-env';

export type Mode = 'quick' | 'full';

export interface Settings {
  mode: Mode;
  /** Events per end-to-end pipeline (trades, then follower events) and for the ceiling. */
  events: number;
  vaults: number;
  followers: number;
  /** Jobs per addBulk call when enqueueing as fast as possible. */
  chunk: number;
  /** Concurrency of the no-op ceiling worker: the trade worker's default. */
  ceilingConcurrency: number;
  /** The fixed rate of tune.ts's latency rows (pnpm bench runs its own at half the measured rate). */
  latencyRate: number;
  latencySeconds: number;
  /** Trades of history of one vault for the snapshot-cost phase. */
  histories: number[];
  /**
   * Extra environment for the worker processes (tuning knobs), from BENCH_WORKER_ENV="K=V,K=V":
   * `K=V` for every worker, `trade-worker.K=V` for one.
   */
  workerEnv: Record<string, string>;
  /** Which workers run (BENCH_WORKERS); without the snapshot worker, snapshots just queue up. */
  workers: string[];
  /**
   * BENCH_COMPILED=1: workers run as compiled JavaScript (as in production), not under tsx, and,
   * unless BENCH_WORKER_ENV sets NODE_OPTIONS, with the image's heap settings (IMAGE_NODE_OPTIONS).
   */
  compiled: boolean;
  /** BENCH_NOISE (default 1): busy processes beside a second run of the steady-rate phase; 0 skips it. */
  noise: number;
  /** The git ref the pipelines are compared against (BENCH_BASELINE, default bench/ab/baseline-ref); undefined: none. */
  baseline?: string;
}

/**
 * The runtime image's heap under the base manifests' 512Mi limit, spelled out: the image says
 * `--max-old-space-size-percentage=25` (of the container's limit, which a bench process does not
 * have) and `--max-semi-space-size=16` (docker/Dockerfile; without it Node 24 measured 2x the CPU
 * per event: docs/BENCHMARK.md, "Node 24's young generation").
 */
export const IMAGE_NODE_OPTIONS = '--max-old-space-size=128 --max-semi-space-size=16';

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const mode: Mode = env.BENCH_MODE === 'full' ? 'full' : 'quick';
  const full = mode === 'full';
  const events = Number(env.BENCH_EVENTS ?? (full ? 50_000 : 5_000));
  if (!Number.isInteger(events) || events < 100) throw new Error('BENCH_EVENTS must be an integer >= 100');
  return {
    mode,
    events,
    vaults: full ? 500 : 200,
    followers: Math.max(100, Math.floor(events / 5)),
    chunk: 1000,
    ceilingConcurrency: 100,
    latencyRate: 1000,
    latencySeconds: full ? 20 : 6,
    histories: full ? [1_000, 10_000, 100_000] : [1_000, 10_000],
    workerEnv: workerEnvOf(env),
    compiled: env.BENCH_COMPILED === '1',
    noise: env.BENCH_NOISE === undefined ? 1 : noiseFromEnv('BENCH_NOISE', env),
    baseline: baselineRef(env),
    workers: env.BENCH_WORKERS?.split(',').map((w) => w.trim()).filter(Boolean) ?? SERVICES.map((s) => s.name),
  };
}

function workerEnvOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const workerEnv = parseKv(env.BENCH_WORKER_ENV ?? '');
  const setsNodeOptions = Object.keys(workerEnv).some((k) => k === 'NODE_OPTIONS' || k.endsWith('.NODE_OPTIONS'));
  return env.BENCH_COMPILED === '1' && !setsNodeOptions ? { NODE_OPTIONS: IMAGE_NODE_OPTIONS, ...workerEnv } : workerEnv;
}

export function parseKv(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const i = part.indexOf('=');
    if (i < 1) throw new Error(`BENCH_WORKER_ENV: expected K=V, got "${part}"`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}
