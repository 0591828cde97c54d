import { compare, pair, renderAb, type AbSide } from '../../bench/ab/ab-report';
import { tradeCostTargets, systemCpuMs } from '../../bench/pipelines/cost-targets';

// The before/after table of one bench run and the trade cost targets (pure: measured rows in, text out).

const ok = { ok: true, differences: 0, sample: [] };
const side = (commit: string, trades: Record<string, number>, followers: Record<string, number>, perSecond: [number, number]): AbSide => ({
  commit,
  verification: ok,
  pipelines: [
    { kind: 'trades', cpuMsPerEvent: trades, perSecond: perSecond[0] },
    { kind: 'followers', cpuMsPerEvent: followers, perSecond: perSecond[1] },
  ],
});

const before = side(
  '295c1e2',
  { 'trade-worker': 0.15, 'snapshot-worker': 0.05, postgres: 0.12, redis: 0.1, bench: 0.04, total: 0.46 },
  { 'follower-worker': 0.16, postgres: 0.14, redis: 0.1, bench: 0.04, total: 0.44 },
  [2000, 1800],
);
const after = side(
  'abc1234+uncommitted',
  { 'trade-worker': 0.1, 'snapshot-worker': 0.02, postgres: 0.08, redis: 0.08, bench: 0.05, total: 0.33 },
  { 'follower-worker': 0.12, postgres: 0.1, redis: 0.09, bench: 0.05, total: 0.36 },
  [3600, 2400],
);

describe('systemCpuMs', () => {
  it('sums services, Postgres and Redis; the bench, totals, neighbours and per-master splits are left out', () => {
    expect(systemCpuMs({ 'trade-worker': 0.1, postgres: 0.12, redis: 0.05, bench: 0.5, total: 9, others: 3, 'redis:busiest': 0.05 })).toBe(0.27);
  });
});

describe('tradeCostTargets', () => {
  it('passes at 0.30 CPU ms per trade and 0.6x the ceiling, misses above / below', () => {
    const at = (cpu: number, perSecond: number) => tradeCostTargets({ cpuMsPerEvent: { 'trade-worker': cpu, bench: 1 }, perSecond }, 1000).map((t) => t.pass);
    expect(at(0.3, 600)).toEqual([true, true]);
    expect(at(0.301, 599)).toEqual([false, false]);
  });

  it('says what it measured', () => {
    expect(tradeCostTargets({ cpuMsPerEvent: { postgres: 0.2, redis: 0.12 }, perSecond: 2500 }, 10_000)).toEqual([
      { name: 'CPU ms per trade (services+PG+Redis)', goal: '<= 0.30', measured: '0.320', pass: false },
      { name: 'trade events vs ceiling', goal: '>= 0.60x', measured: '0.25x', pass: false },
    ]);
  });
});

describe('compare', () => {
  const c = compare('295c1e2', before, after, 5000);

  it('pairs each process of either side, with current/baseline', () => {
    const trades = c.kinds.find((k) => k.kind === 'trades')!;
    expect(trades.processes.map((p) => p.name)).toEqual(['trade-worker', 'snapshot-worker', 'postgres', 'redis']);
    expect(trades.processes[0]).toEqual({ name: 'trade-worker', baseline: 0.15, current: 0.1, ratio: 0.667 });
    expect(trades.total).toEqual({ baseline: 0.42, current: 0.28, ratio: 0.667 });
    expect(trades.perSecond).toEqual({ baseline: 2000, current: 3600, ratio: 1.8 });
    expect(trades.xCeiling).toEqual({ baseline: 0.4, current: 0.72, ratio: 1.8 });
  });

  it('leaves a process only one side has without a ratio', () => {
    const only = compare('x', side('b', { 'old-worker': 0.2 }, {}, [1, 1]), side('c', { 'new-worker': 0.1 }, {}, [1, 1]), 10);
    expect(only.kinds[0]!.processes).toEqual([
      { name: 'old-worker', baseline: 0.2, current: undefined, ratio: undefined },
      { name: 'new-worker', baseline: undefined, current: 0.1, ratio: undefined },
    ]);
  });

  it("judges the trade cost targets on the current side and checks both databases", () => {
    expect(c.targets.map((t) => [t.name, t.measured, t.pass])).toEqual([
      ['CPU ms per trade (services+PG+Redis)', '0.280', true],
      ['trade events vs ceiling', '0.72x', true],
      ['current database = reference model', 'exact', true],
      ['baseline database = reference model', 'exact', true],
    ]);
    const wrong = compare('x', { ...before, verification: { ok: false, differences: 3, sample: [] } }, after, 5000);
    expect(wrong.targets.at(-1)).toMatchObject({ measured: '3 differences', pass: false });
  });
});

describe('renderAb', () => {
  it('renders one table with baseline, current and the ratio per pipeline, then the targets', () => {
    const text = renderAb(compare('295c1e2', before, after, 5000));
    expect(text.split('\n')).toEqual([
      'Before/after in one run: baseline 295c1e2 (295c1e2) vs current abc1234+uncommitted; CPU ms per event per process, the bench process left out; ceiling 5000/s (mean of the two runs)',
      '| CPU ms per event          | trades baseline | trades current | current/baseline | followers baseline | followers current | current/baseline |',
      '|---------------------------|----------------:|---------------:|-----------------:|-------------------:|------------------:|-----------------:|',
      '| trade-worker              |           0.150 |          0.100 |            0.67x |                    |                   |                  |',
      '| snapshot-worker           |           0.050 |          0.020 |            0.40x |                    |                   |                  |',
      '| postgres                  |           0.120 |          0.080 |            0.67x |              0.140 |             0.100 |            0.71x |',
      '| redis                     |           0.100 |          0.080 |            0.80x |              0.100 |             0.090 |            0.90x |',
      '| follower-worker           |                 |                |                  |              0.160 |             0.120 |            0.75x |',
      '| total (services+PG+Redis) |           0.420 |          0.280 |            0.67x |              0.400 |             0.310 |            0.78x |',
      '| events/s                  |            2000 |           3600 |            1.80x |               1800 |              2400 |            1.33x |',
      '| x ceiling                 |            0.40 |           0.72 |            1.80x |               0.36 |              0.48 |            1.33x |',
      '',
      'Targets (trade cost, current side):',
      '| target                               |     goal | measured |      |',
      '|--------------------------------------|---------:|---------:|-----:|',
      '| CPU ms per trade (services+PG+Redis) |  <= 0.30 |    0.280 | PASS |',
      '| trade events vs ceiling              | >= 0.60x |    0.72x | PASS |',
      '| current database = reference model   |    exact |    exact | PASS |',
      '| baseline database = reference model  |    exact |    exact | PASS |',
    ]);
  });
});

describe('pair', () => {
  it('rounds the ratio to 3 places whatever the precision of the values', () => {
    expect(pair(1800, 2400, 0)).toEqual({ baseline: 1800, current: 2400, ratio: 1.333 });
  });

  it('has no ratio against a zero baseline', () => {
    expect(pair(0, 0.1)).toEqual({ baseline: 0, current: 0.1, ratio: undefined });
  });
});
