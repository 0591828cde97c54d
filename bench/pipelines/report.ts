import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AbComparison } from '../ab/ab-report';
import type { CeilingResult, RateResult } from './ceiling';
import { tradeCostTargets } from './cost-targets';
import { table, type Target } from '../lib/table';
import type { LatencyResult } from './latency';
import type { PipelineResult } from './pipeline';
import type { Settings } from '../lib/settings';
import type { SnapshotCostRow } from '../snapshot/snapshot-cost';
import { snapshotCostTable } from '../snapshot/snapshot-cost-table';
import type { SqlProfile } from '../sql/sql-profile';
import type { Verification } from '../lib/verify';

// The table, the throughput and memory targets with PASS/MISS, and the JSON file.

export { table, type Target }; // where the other reports have always imported them from

export interface BenchResult {
  startedAt: string;
  settings: Settings;
  machine: { cores: number; node: string; postgres: string; redis: string };
  /** Busy cores of the machine in the 2 s before the run: other users of the shared machine. */
  backgroundCores: number;
  producer: RateResult;
  /** Measured before the pipelines and again after them. */
  ceiling: CeilingResult[];
  pipelines: PipelineResult[];
  latency: LatencyResult[];
  verification: Verification;
  sqlProfile: SqlProfile[];
  snapshotCost: SnapshotCostRow[];
  peakRssMb: Record<string, number>;
  readyRssMb: Record<string, number>;
  totalSeconds: number;
  /** The before/after comparison with BENCH_BASELINE's commit (absent with BENCH_BASELINE=none). */
  ab?: AbComparison;
  /** The baseline side's own pipeline rows (the current side's are `pipelines`). */
  baselinePipelines?: PipelineResult[];
  baselineVerification?: Verification;
}


/** "Far fewer" snapshot runs than trades: at most one run per five trades under load. */
export const MAX_SNAPSHOT_RUNS_PER_TRADE = 0.2;

/** The ceiling the ratios use: the mean of the runs before and after the pipelines. */
export function ceilingRate(r: Pick<BenchResult, 'ceiling'>): number {
  return r.ceiling.reduce((a, c) => a + c.perSecond, 0) / r.ceiling.length;
}

export function targets(r: BenchResult): Target[] {
  const pipe = (k: string) => r.pipelines.find((p) => p.kind === k)!;
  const ratio = (k: string) => pipe(k).perSecond / ceilingRate(r);
  const cost = r.snapshotCost;
  const flat = cost.length > 1 ? cost[cost.length - 1]!.incrementalUsPerNewTrade / cost[0]!.incrementalUsPerNewTrade : NaN;
  const out: Target[] = [
    ...tradeCostTargets(pipe('trades'), ceilingRate(r)),
    { name: 'follower events vs ceiling', goal: '>= 0.30x', measured: `${ratio('followers').toFixed(2)}x`, pass: ratio('followers') >= 0.3 },
    {
      name: 'snapshot runs per trade (load)', goal: `<= ${MAX_SNAPSHOT_RUNS_PER_TRADE}`,
      measured: pipe('trades').snapshotRunsPerEvent.toFixed(3), pass: pipe('trades').snapshotRunsPerEvent <= MAX_SNAPSHOT_RUNS_PER_TRADE,
    },
    {
      name: `snapshot cost/new trade ${fmtK(cost[0]?.history)} -> ${fmtK(cost[cost.length - 1]?.history)}`, goal: '<= 2x',
      measured: `${flat.toFixed(2)}x`, pass: flat <= 2,
    },
  ];
  // The latency rows' goals are the no-op unit goals, at half load (noop-units.ts: noopUnitTargets).
  for (const [name, mb] of Object.entries(r.peakRssMb)) {
    out.push({ name: `peak RSS ${name}`, goal: '< 250 MB', measured: `${mb.toFixed(0)} MB`, pass: mb < 250 });
  }
  out.push({ name: 'database = reference model', goal: 'exact', measured: r.verification.ok ? 'exact' : `${r.verification.differences} differences`, pass: r.verification.ok });
  return out;
}

/** "trades @1234/s" (half the pipeline's measured rate), and "+ 1 busy" when a noisy neighbour ran beside it (BENCH_NOISE). */
function latencyLabel(l: LatencyResult): string {
  return `${l.kind} @${l.targetRate}/s${l.noise ? ` + ${l.noise} busy` : ''}`;
}

export function render(r: BenchResult): string {
  const lines: string[] = [];
  const s = r.settings;
  const ceiling = ceilingRate(r);
  lines.push(`pnpm bench — mode ${s.mode}: ${s.events} events per pipeline, ${s.vaults} vaults, ${s.followers} followers; ${r.machine.cores} cores, node ${r.machine.node}, ${r.machine.postgres}, redis ${r.machine.redis}`);
  lines.push(`machine busy before the run (other users): ${r.backgroundCores} cores; workers run ${s.compiled ? 'as compiled JavaScript (BENCH_COMPILED=1)' : 'under tsx'}`);
  if (Object.keys(s.workerEnv).length) lines.push(`worker env: ${Object.entries(s.workerEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  lines.push('');
  lines.push(table(
    ['phase', 'events', 'seconds', 'events/s', 'x ceiling', 'p50 ms', 'p95 ms', 'p99 ms', 'snapshots/event'],
    [
      ['producer only (addBulk)', r.producer.events, r.producer.seconds.toFixed(2), r.producer.perSecond, '', '', '', '', ''],
      ...r.ceiling.map((c, i) => [
        `ceiling ${i ? 'after' : 'before'} (no-op, c=${c.concurrency})`, c.events, c.seconds.toFixed(2), c.perSecond, (c.perSecond / ceiling).toFixed(2),
        ms(c.latency.p50), ms(c.latency.p95), ms(c.latency.p99), '',
      ]),
      ...r.pipelines.map((p) => [
        `${p.kind} end to end`, p.events, p.seconds.toFixed(2), p.perSecond, (p.perSecond / ceiling).toFixed(2),
        ms(p.latency.p50), ms(p.latency.p95), ms(p.latency.p99), p.snapshotRunsPerEvent.toFixed(3),
      ]),
      ...r.latency.map((l) => [
        `${latencyLabel(l)} (commit)`, l.events, '', l.achievedRate, '', ms(l.commit.p50), ms(l.commit.p95), ms(l.commit.p99), l.snapshotRunsPerEvent.toFixed(3),
      ]),
    ],
  ));
  lines.push('x ceiling: against the mean of the two ceiling runs. Latency: ceiling = enqueue -> job completed; pipelines = enqueue ->');
  lines.push('row createdAt (its transaction start, a lower bound); @rate rows = enqueue -> commit (NOTIFY received).');
  for (const l of r.latency) {
    lines.push(
      `  ${latencyLabel(l)}: waiting in Redis p50/p99 ${ms(l.queued.p50)}/${ms(l.queued.p99)} ms, taken -> commit p50/p99 ${ms(l.processing.p50)}/${ms(l.processing.p99)} ms` +
        `${l.queued.n < l.events ? ` (the last ${l.queued.n} jobs: BullMQ keeps 10,000 completed)` : ''}, enqueue -> tx start p99 ${ms(l.txStart.p99)} ms`,
    );
  }
  lines.push('');
  lines.push(table(
    ['pipeline', 'until snapshots done s', 'producer ev/s', 'tx', 'jobs/tx', 'ms/tx', 'snapshot ms/tx', 'snapshot re-queued', 'retried', 'failed'],
    r.pipelines.map((p) => [p.kind, p.drainSeconds.toFixed(2), p.producer.perSecond, p.batch.transactions, p.batch.meanJobs.toFixed(1), p.batch.meanTxMs.toFixed(1), p.snapshotMeanTxMs.toFixed(1), p.snapshotRetried ?? '', p.retried, p.failed]),
  ));
  lines.push('');
  const groups = [...new Set([...Object.keys(r.pipelines[0]?.cpu ?? {})])];
  const col = (cpu: Record<string, number>, g: string) => (g === 'trade-worker' && cpu['noop-worker'] !== undefined ? cpu['noop-worker'] : cpu[g]) ?? '';
  lines.push('CPU in cores (2 = the whole machine; "others" = the neighbours on this shared machine), then CPU ms per event:');
  lines.push(table(
    ['phase', ...groups],
    [
      ...r.ceiling.map((c, i) => [`ceiling ${i ? 'after' : 'before'}*`, ...groups.map((g) => col(c.cpu, g))]),
      ...r.pipelines.map((p) => [p.kind, ...groups.map((g) => col(p.cpu, g))]),
      ...r.latency.map((l) => [latencyLabel(l), ...groups.map((g) => col(l.cpu, g))]),
    ],
  ));
  const costGroups = [...groups.filter((g) => g !== 'others'), 'total'];
  lines.push(table(
    ['CPU ms/event', ...costGroups, 'events/s if the machine were ours'],
    [
      ...r.ceiling.map((c, i) => [`ceiling ${i ? 'after' : 'before'}*`, ...costGroups.map((g) => col(c.cpuMsPerEvent, g)), c.projectedPerSecond]),
      ...r.pipelines.map((p) => [p.kind, ...costGroups.map((g) => col(p.cpuMsPerEvent, g)), p.projectedPerSecond]),
    ],
  ));
  lines.push('  * ceiling rows: the no-op worker process in the trade-worker column.');
  lines.push('');
  // Event-loop delay per worker: noop-units.ts's loadLines, beside the baseline's.
  lines.push('Postgres backends of the bench database, sampled every 25 ms (share of non-idle backend time; mean backends):');
  for (const p of r.pipelines) lines.push(`  ${p.kind.padEnd(10)} ${p.pgWaits.map((w) => `${w.state} ${pct(w.share)} (${w.backends})`).join(', ')}`);
  lines.push('');
  lines.push('Batch writers alone (one connection, one transaction per batch; medians; statement times at the client):');
  for (const p of r.sqlProfile) {
    lines.push(`  ${p.operation} via ${p.client}: ${p.batchSize} jobs/batch, ${p.batchMs} ms/batch = ${p.rowsPerSecondOneConnection} rows/s on one connection; BEGIN/COMMIT/client ${p.outsideStatementsMs} ms`);
    lines.push(`      ${p.statements.map((st) => `${st.statement} ${st.medianMs.toFixed(2)}`).join(' | ')}`);
  }
  lines.push('');
  lines.push('Snapshot cost by history (one vault; incremental = median of 25 runs after 10 new trades each, sizes interleaved):');
  lines.push(snapshotCostTable(r.snapshotCost));
  lines.push('');
  lines.push(`Peak RSS (VmHWM): ${Object.entries(r.peakRssMb).map(([k, v]) => `${k} ${v.toFixed(0)} MB`).join(', ')}; no-op worker ${Math.max(...r.ceiling.map((c) => c.peakRssMb)).toFixed(0)} MB`);
  lines.push(`RSS once ready, before load: ${Object.entries(r.readyRssMb).map(([k, v]) => `${k} ${v.toFixed(0)} MB`).join(', ')}`);
  lines.push('');
  lines.push('Targets (throughput, latency, memory):');
  lines.push(table(['target', 'goal', 'measured', ''], targets(r).map((t) => [t.name, t.goal, t.measured, t.pass ? 'PASS' : 'MISS'])));
  if (!r.verification.ok) lines.push(`  first differences: ${r.verification.sample.join('; ')}`);
  lines.push(`\n(total ${r.totalSeconds.toFixed(0)} s)`);
  return lines.join('\n');
}

export function writeJson(r: object, name: string, dir = join(__dirname, '..', '..', 'bench-results')): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(r, null, 2));
  return file;
}


const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const pct = (x: number) => `${Math.round(x * 100)}%`;
export const fmtK = (n?: number) => (n === undefined ? '?' : n >= 1000 ? `${n / 1000}k` : String(n));
