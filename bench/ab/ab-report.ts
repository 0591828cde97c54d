import { isSystemGroup, tradeCostTargets, systemCpuMs } from '../pipelines/cost-targets';
import { table, type Target } from '../lib/table';
import type { Verification } from '../lib/verify';

// The before/after comparison of one run: per process, the CPU ms per event of the baseline
// commit and of the current code, measured in the same run against the same ceiling, their
// ratio, the total over services + Postgres + Redis, events/s and x ceiling per side, and
// the trade cost targets on the current side. Pure: main.ts hands it the measured rows.

export interface AbPipeline {
  kind: string;
  cpuMsPerEvent: Record<string, number>;
  perSecond: number;
}

export interface AbSide {
  commit: string;
  pipelines: AbPipeline[];
  verification: Verification;
}

export interface AbPair {
  baseline?: number;
  current?: number;
  /** current / baseline (undefined when either is missing or the baseline is 0). */
  ratio?: number;
}

export interface AbKind {
  kind: string;
  /** CPU ms per event per process (the bench's own process left out). */
  processes: ({ name: string } & AbPair)[];
  /** Services + Postgres + Redis, CPU ms per event. */
  total: AbPair;
  perSecond: AbPair;
  xCeiling: AbPair;
}

export interface AbComparison {
  baseline: { ref: string; commit: string };
  current: { commit: string };
  ceilingPerSecond: number;
  kinds: AbKind[];
  targets: Target[];
}

export function pair(baseline?: number, current?: number, digits = 3): AbPair {
  const r = (x: number | undefined, d = digits) => (x === undefined ? undefined : Number(x.toFixed(d)));
  // The ratio of the unrounded values, to 3 places whatever the values' precision.
  return { baseline: r(baseline), current: r(current), ratio: baseline && current !== undefined ? r(current / baseline, 3) : undefined };
}

/** Process groups of both sides, in first-seen order (the baseline's tree may list other services). */
function processNames(a?: AbPipeline, b?: AbPipeline): string[] {
  return [...new Set([...Object.keys(a?.cpuMsPerEvent ?? {}), ...Object.keys(b?.cpuMsPerEvent ?? {})])].filter(isSystemGroup);
}

export function compare(ref: string, baseline: AbSide, current: AbSide, ceilingPerSecond: number): AbComparison {
  const kinds = [...new Set([...current.pipelines, ...baseline.pipelines].map((p) => p.kind))];
  const rows = kinds.map((kind): AbKind => {
    const b = baseline.pipelines.find((p) => p.kind === kind);
    const c = current.pipelines.find((p) => p.kind === kind);
    return {
      kind,
      processes: processNames(b, c).map((name) => ({ name, ...pair(b?.cpuMsPerEvent[name], c?.cpuMsPerEvent[name]) })),
      total: pair(b && systemCpuMs(b.cpuMsPerEvent), c && systemCpuMs(c.cpuMsPerEvent)),
      perSecond: pair(b?.perSecond, c?.perSecond, 0),
      xCeiling: pair(b && b.perSecond / ceilingPerSecond, c && c.perSecond / ceilingPerSecond, 2),
    };
  });
  const trades = current.pipelines.find((p) => p.kind === 'trades');
  const targets: Target[] = [
    ...(trades ? tradeCostTargets(trades, ceilingPerSecond) : []),
    ...([['current', current], ['baseline', baseline]] as const).map(([label, side]) => ({
      name: `${label} database = reference model`, goal: 'exact',
      measured: side.verification.ok ? 'exact' : `${side.verification.differences} differences`, pass: side.verification.ok,
    })),
  ];
  return { baseline: { ref, commit: baseline.commit }, current: { commit: current.commit }, ceilingPerSecond, kinds: rows, targets };
}

const num = (x?: number, digits = 3) => (x === undefined ? '' : x.toFixed(digits));
const ratio = (p: AbPair) => (p.ratio === undefined ? '' : `${p.ratio.toFixed(2)}x`);

export function renderAb(c: AbComparison): string {
  const head = ['CPU ms per event', ...c.kinds.flatMap((k) => [`${k.kind} baseline`, `${k.kind} current`, 'current/baseline'])];
  const names = [...new Set(c.kinds.flatMap((k) => k.processes.map((p) => p.name)))];
  const cells = (get: (k: AbKind) => AbPair | undefined, digits = 3) =>
    c.kinds.flatMap((k) => {
      const p = get(k) ?? {};
      return [num(p.baseline, digits), num(p.current, digits), ratio(p)];
    });
  const rows = [
    ...names.map((n) => [n, ...cells((k) => k.processes.find((p) => p.name === n))]),
    ['total (services+PG+Redis)', ...cells((k) => k.total)],
    ['events/s', ...cells((k) => k.perSecond, 0)],
    ['x ceiling', ...cells((k) => k.xCeiling, 2)],
  ];
  return [
    `Before/after in one run: baseline ${c.baseline.ref} (${c.baseline.commit}) vs current ${c.current.commit}; ` +
      `CPU ms per event per process, the bench process left out; ceiling ${c.ceilingPerSecond.toFixed(0)}/s (mean of the two runs)`,
    table(head, rows),
    '',
    'Targets (trade cost, current side):',
    table(['target', 'goal', 'measured', ''], c.targets.map((t) => [t.name, t.goal, t.measured, t.pass ? 'PASS' : 'MISS'])),
  ].join('\n');
}
