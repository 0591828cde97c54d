import { isSystemGroup, systemCpuMs } from './cost-targets';
import { table, type Target } from '../lib/table';

// Cost in no-op jobs: CPU per event divided by what one no-op BullMQ job cost in the
// same run (the no-op worker process plus redis-server, per job, mean of the two ceiling runs).
// A ratio within one run holds on any machine, where milliseconds move 3x between machines and
// with the neighbours. Pure: main.ts hands it the measured rows; tests/bench/noop-units.test.ts.

/** The no-op worker's CPU group in the ceiling rows (bench/pipelines/ceiling.ts). */
export const NOOP_WORKER = 'noop-worker';

export interface NoopJob {
  /** CPU ms of one no-op job: worker + Redis. */
  ms: number;
  worker: number;
  redis: number;
}

/** The mean over the ceiling runs of the no-op worker's and Redis's CPU ms per job. */
export function noopJob(ceiling: { cpuMsPerEvent: Record<string, number> }[]): NoopJob {
  const mean = (g: string) => ceiling.reduce((a, c) => a + (c.cpuMsPerEvent[g] ?? 0), 0) / Math.max(1, ceiling.length);
  const worker = mean(NOOP_WORKER);
  const redis = mean('redis');
  return { ms: worker + redis, worker, redis };
}

export interface UnitsPipeline {
  kind: string;
  cpuMsPerEvent: Record<string, number>;
}

export interface Cost {
  ms: number;
  /** ms / the no-op job's ms. */
  jobs: number;
}

export interface UnitsRow {
  name: string;
  baseline?: Cost;
  current?: Cost;
}

export interface UnitsKind {
  kind: string;
  rows: UnitsRow[];
}

/** The worker process of a pipeline kind: the one that records its events. */
export const PIPELINE_WORKER: Record<string, string> = { trades: 'trade-worker', followers: 'follower-worker' };

const cost = (ms: number | undefined, noop: NoopJob): Cost | undefined => (ms === undefined ? undefined : { ms, jobs: ms / noop.ms });

/**
 * Our own code in the pipeline's worker: its CPU per event above the no-op worker's per job (what
 * BullMQ itself costs a worker process). Undefined without the worker's row.
 */
export function ownCodeMs(kind: string, cpuMsPerEvent: Record<string, number>, noop: NoopJob): number | undefined {
  const w = cpuMsPerEvent[PIPELINE_WORKER[kind] ?? ''];
  return w === undefined ? undefined : w - noop.worker;
}

/**
 * Per kind: each process (services, Postgres, Redis; either side's), the total over them, and the
 * worker's own code, in ms and in no-op jobs. Both sides are divided by the same no-op job: the
 * ceiling is measured once per run, with the bench's own no-op worker.
 */
export function unitsTable(noop: NoopJob, current: UnitsPipeline[], baseline: UnitsPipeline[] = []): UnitsKind[] {
  const kinds = [...new Set([...current, ...baseline].map((p) => p.kind))];
  return kinds.map((kind) => {
    const c = current.find((p) => p.kind === kind)?.cpuMsPerEvent;
    const b = baseline.find((p) => p.kind === kind)?.cpuMsPerEvent;
    const names = [...new Set([...Object.keys(b ?? {}), ...Object.keys(c ?? {})])].filter(isSystemGroup);
    const row = (name: string, get: (m: Record<string, number>) => number | undefined): UnitsRow => ({
      name, baseline: b && cost(get(b), noop), current: c && cost(get(c), noop),
    });
    return {
      kind,
      rows: [
        ...names.map((n) => row(n, (m) => m[n])),
        row('total (services+PG+Redis)', systemCpuMs),
        row(`${PIPELINE_WORKER[kind] ?? 'worker'} own code (above the no-op worker)`, (m) => ownCodeMs(kind, m, noop)),
      ],
    };
  });
}

/** The cost goals, in no-op jobs and ms. */
export const GOALS = {
  tradeTotal: 2.0,
  followerTotal: 2.0,
  postgresPerTrade: 0.4,
  workerOwnCode: 0.3,
  eventLoopP99Ms: 20,
  halfLoadP99Ms: { quiet: 100, busy: 250 },
} as const;

export interface NoopUnitInput {
  noop: NoopJob;
  pipelines: (UnitsPipeline & { eventLoopLagMs: Record<string, { p99: number; max: number }> })[];
  latency: { kind: string; targetRate: number; noise?: number; commit: { p99: number } }[];
}

export function noopUnitTargets({ noop, pipelines, latency }: NoopUnitInput): Target[] {
  const out: Target[] = [];
  const jobsTarget = (name: string, ms: number | undefined, goal: number) => {
    if (ms === undefined) return;
    // Judged to 3 places: a difference of ms read from /proc is not exact to the last bit.
    const jobs = Math.round((ms / noop.ms) * 1000) / 1000;
    out.push({ name, goal: `<= ${goal.toFixed(1)} jobs`, measured: `${jobs.toFixed(2)} jobs`, pass: jobs <= goal });
  };
  const trades = pipelines.find((p) => p.kind === 'trades');
  const followers = pipelines.find((p) => p.kind === 'followers');
  jobsTarget('trade total (services+PG+Redis)', trades && systemCpuMs(trades.cpuMsPerEvent), GOALS.tradeTotal);
  jobsTarget('follower total (services+PG+Redis)', followers && systemCpuMs(followers.cpuMsPerEvent), GOALS.followerTotal);
  jobsTarget('Postgres per trade', trades?.cpuMsPerEvent.postgres, GOALS.postgresPerTrade);
  jobsTarget('trade-worker own code per trade', trades && ownCodeMs('trades', trades.cpuMsPerEvent, noop), GOALS.workerOwnCode);
  for (const p of pipelines) {
    const worst = Object.entries(p.eventLoopLagMs).sort((a, b) => b[1].p99 - a[1].p99)[0];
    if (!worst) continue;
    out.push({
      name: `event-loop delay p99, ${p.kind} (worst worker: ${worst[0]})`, goal: `<= ${GOALS.eventLoopP99Ms} ms`,
      measured: `${worst[1].p99} ms`, pass: worst[1].p99 <= GOALS.eventLoopP99Ms,
    });
  }
  for (const l of latency) {
    const goal = l.noise ? GOALS.halfLoadP99Ms.busy : GOALS.halfLoadP99Ms.quiet;
    out.push({
      name: `p99 enqueue->commit at half load, ${l.kind} @${l.targetRate}/s${l.noise ? ` + ${l.noise} busy` : ''}`,
      goal: `< ${goal} ms`, measured: `${Math.round(l.commit.p99)} ms`, pass: l.commit.p99 < goal,
    });
  }
  return out;
}

/** The capacity model's cells in no-op jobs per event (capacity.ts): each group's ms over the no-op job's, '-' where absent. */
export function inNoopJobs(costs: Record<string, number>, groups: string[], noopJobMs: number): string[] {
  return groups.map((g) => (costs[g] ? (costs[g] / noopJobMs).toFixed(2) : '-'));
}

/** The half of a pipeline's measured end-to-end rate that its latency rows run at (at least 1/s). */
export function halfRate(perSecond: number): number {
  return Math.max(1, Math.round(perSecond / 2));
}

const fmtCost = (c?: Cost) => (c === undefined ? '' : `${c.ms.toFixed(3)} ms = ${c.jobs.toFixed(2)}`);
const ratio = (r: UnitsRow) => (r.baseline && r.current && r.baseline.ms > 0 ? `${(r.current.ms / r.baseline.ms).toFixed(2)}x` : '');

export function renderUnits(noop: NoopJob, kinds: UnitsKind[], targets: Target[], extra: string[] = []): string {
  const hasBaseline = kinds.some((k) => k.rows.some((r) => r.baseline));
  const head = ['CPU per event, in no-op jobs', ...kinds.flatMap((k) => (hasBaseline ? [`${k.kind} baseline`, `${k.kind} current`, 'current/baseline'] : [`${k.kind}`]))];
  const names = [...new Set(kinds.flatMap((k) => k.rows.map((r) => r.name)))];
  const rows = names.map((n) => [
    n,
    ...kinds.flatMap((k) => {
      const r = k.rows.find((x) => x.name === n) ?? { name: n };
      return hasBaseline ? [fmtCost(r.baseline), fmtCost(r.current), ratio(r)] : [fmtCost(r.current)];
    }),
  ]);
  return [
    `Cost in no-op jobs: 1 no-op job = ${noop.ms.toFixed(3)} CPU ms in this run (no-op worker ${noop.worker.toFixed(3)} + Redis ${noop.redis.toFixed(3)}, mean of the two ceiling runs); cells: CPU ms per event = no-op jobs`,
    table(head, rows),
    ...extra,
    '',
    'Targets (cost in no-op jobs, current side):',
    table(['target', 'goal', 'measured', ''], targets.map((t) => [t.name, t.goal, t.measured, t.pass ? 'PASS' : 'MISS'])),
  ].join('\n');
}

type Lag = Record<string, { p99: number; max: number }>;

export interface LoadPipeline {
  kind: string;
  eventLoopLagMs: Lag;
  pgWaits: { state: string; share: number }[];
}

/** Share of the sampled backend time spent waiting for an advisory lock (pg-waits.ts states). */
export function advisoryLockShare(waits: { state: string; share: number }[]): number {
  return waits.filter((w) => w.state.endsWith('Lock:advisory')).reduce((a, w) => a + w.share, 0);
}

/**
 * Event-loop delay per worker and the Lock:advisory share, baseline -> current, per pipeline; with
 * `noop`, the no-op worker's own delay in the ceiling runs (BullMQ alone, the same machine).
 */
export function loadLines(current: LoadPipeline[], baseline: LoadPipeline[] = [], noop: { p99: number; max: number }[] = []): string[] {
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const lag = (l: Lag | undefined, w: string) => (l?.[w] ? `${l[w]!.p99}/${l[w]!.max}` : '-');
  const lines = ['Event-loop delay of each worker under full load, p99/max ms' + (baseline.length ? ' (baseline -> current):' : ':')];
  for (const c of current) {
    const b = baseline.find((p) => p.kind === c.kind);
    const workers = [...new Set([...Object.keys(b?.eventLoopLagMs ?? {}), ...Object.keys(c.eventLoopLagMs)])];
    lines.push(`  ${c.kind.padEnd(10)} ${workers.map((w) => `${w} ${b ? `${lag(b.eventLoopLagMs, w)} -> ` : ''}${lag(c.eventLoopLagMs, w)}`).join(', ')}`);
  }
  if (noop.length) lines.push(`  no-op worker, ceiling runs (reference: BullMQ alone on this machine): ${noop.map((l) => `${l.p99}/${l.max}`).join(', ')}`);
  lines.push(
    'Lock:advisory share of the bench database\'s backend time (pg-waits.ts)' + (baseline.length ? ' (baseline -> current): ' : ': ') +
      current.map((c) => {
        const b = baseline.find((p) => p.kind === c.kind);
        return `${c.kind} ${b ? `${pct(advisoryLockShare(b.pgWaits))} -> ` : ''}${pct(advisoryLockShare(c.pgWaits))}`;
      }).join(', '),
  );
  return lines;
}
