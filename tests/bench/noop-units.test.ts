import { advisoryLockShare, halfRate, inNoopJobs, noopUnitTargets, loadLines, noopJob, ownCodeMs, renderUnits, unitsTable, type NoopJob } from '../../bench/pipelines/noop-units';

// Cost in no-op jobs: the arithmetic, the targets and the report (pure: rows in, text out).

const noop: NoopJob = { ms: 0.4, worker: 0.15, redis: 0.25 };
const trades = { kind: 'trades', cpuMsPerEvent: { 'trade-worker': 0.27, 'snapshot-worker': 0.04, postgres: 0.16, redis: 0.3, bench: 0.5, total: 1.27, others: 2 } };
const followers = { kind: 'followers', cpuMsPerEvent: { 'follower-worker': 0.35, postgres: 0.2, redis: 0.29, bench: 0.4 } };
const lag = (p99: number) => ({ 'trade-worker': { p99, max: p99 * 2 }, 'snapshot-worker': { p99: 3, max: 5 } });

describe('noopJob', () => {
  it('is the no-op worker plus Redis per job, the mean of the ceiling runs', () => {
    const j = noopJob([{ cpuMsPerEvent: { 'noop-worker': 0.1, redis: 0.2, bench: 9 } }, { cpuMsPerEvent: { 'noop-worker': 0.2, redis: 0.3 } }]);
    expect(j.worker).toBeCloseTo(0.15, 10);
    expect(j.redis).toBeCloseTo(0.25, 10);
    expect(j.ms).toBeCloseTo(0.4, 10);
  });
});

describe('ownCodeMs', () => {
  it("is the pipeline's worker above the no-op worker", () => {
    expect(ownCodeMs('trades', trades.cpuMsPerEvent, noop)).toBeCloseTo(0.12, 10);
    expect(ownCodeMs('followers', followers.cpuMsPerEvent, noop)).toBeCloseTo(0.2, 10);
    expect(ownCodeMs('followers', trades.cpuMsPerEvent, noop)).toBeUndefined();
  });
});

describe('unitsTable', () => {
  const kinds = unitsTable(noop, [trades, followers], [{ kind: 'trades', cpuMsPerEvent: { 'trade-worker': 0.47, postgres: 0.44, redis: 0.37 } }]);

  it('divides every process, the total and the own code by the same no-op job, both sides', () => {
    const t = kinds.find((k) => k.kind === 'trades')!;
    const row = (n: string) => t.rows.find((r) => r.name === n)!;
    expect(t.rows.map((r) => r.name)).toEqual(['trade-worker', 'postgres', 'redis', 'snapshot-worker', 'total (services+PG+Redis)', 'trade-worker own code (above the no-op worker)']);
    expect(row('postgres').current!.jobs).toBeCloseTo(0.4, 10);
    expect(row('postgres').baseline!.jobs).toBeCloseTo(1.1, 10);
    expect(row('total (services+PG+Redis)').current).toEqual({ ms: 0.77, jobs: expect.closeTo(1.925, 10) });
    expect(row('total (services+PG+Redis)').baseline!.ms).toBeCloseTo(1.28, 10);
    expect(row('trade-worker own code (above the no-op worker)').baseline!.jobs).toBeCloseTo(0.8, 10);
    expect(row('snapshot-worker').baseline).toBeUndefined();
  });

  it('leaves the baseline out of a kind it did not measure', () => {
    const f = kinds.find((k) => k.kind === 'followers')!;
    expect(f.rows.every((r) => r.baseline === undefined)).toBe(true);
  });
});

describe('noopUnitTargets', () => {
  const latency = [
    { kind: 'trades', targetRate: 1200, commit: { p99: 99 } },
    { kind: 'trades', targetRate: 1200, noise: 1, commit: { p99: 250 } },
  ];
  const targets = noopUnitTargets({ noop, pipelines: [{ ...trades, eventLoopLagMs: lag(20) }, { ...followers, eventLoopLagMs: lag(20.5) }], latency });

  it('judges every goal at its bound: totals and Postgres in no-op jobs, own code, event loop, half-load latency', () => {
    expect(targets.map((t) => [t.name, t.goal, t.measured, t.pass])).toEqual([
      ['trade total (services+PG+Redis)', '<= 2.0 jobs', '1.93 jobs', true],
      ['follower total (services+PG+Redis)', '<= 2.0 jobs', '2.10 jobs', false],
      ['Postgres per trade', '<= 0.4 jobs', '0.40 jobs', true],
      ['trade-worker own code per trade', '<= 0.3 jobs', '0.30 jobs', true],
      ['event-loop delay p99, trades (worst worker: trade-worker)', '<= 20 ms', '20 ms', true],
      ['event-loop delay p99, followers (worst worker: trade-worker)', '<= 20 ms', '20.5 ms', false],
      ['p99 enqueue->commit at half load, trades @1200/s', '< 100 ms', '99 ms', true],
      ['p99 enqueue->commit at half load, trades @1200/s + 1 busy', '< 250 ms', '250 ms', false],
    ]);
  });

  it('misses Postgres and own code just above their bounds', () => {
    const above = noopUnitTargets({ noop, pipelines: [{ kind: 'trades', cpuMsPerEvent: { 'trade-worker': 0.271, postgres: 0.161 }, eventLoopLagMs: {} }], latency: [] });
    expect(above.filter((t) => /Postgres|own code/.test(t.name)).map((t) => t.pass)).toEqual([false, false]);
  });
});

describe('halfRate', () => {
  it('is half the measured rate, rounded, at least 1/s', () => {
    expect(halfRate(2501)).toBe(1251);
    expect(halfRate(1)).toBe(1);
  });
});

describe('loadLines', () => {
  it('shows event-loop delay and the advisory-lock share before -> after', () => {
    const waits = (adv: number) => [{ state: 'active/CPU', share: 0.5 }, { state: 'active/Lock:advisory', share: adv }, { state: 'idle in transaction/Lock:advisory', share: 0.01 }];
    expect(advisoryLockShare(waits(0.17))).toBeCloseTo(0.18, 10);
    expect(loadLines([{ kind: 'trades', eventLoopLagMs: lag(12), pgWaits: waits(0.02) }], [{ kind: 'trades', eventLoopLagMs: lag(200), pgWaits: waits(0.17) }], [{ p99: 9.5, max: 30 }, { p99: 11, max: 40 }])).toEqual([
      'Event-loop delay of each worker under full load, p99/max ms (baseline -> current):',
      '  trades     trade-worker 200/400 -> 12/24, snapshot-worker 3/5 -> 3/5',
      '  no-op worker, ceiling runs (reference: BullMQ alone on this machine): 9.5/30, 11/40',
      "Lock:advisory share of the bench database's backend time (pg-waits.ts) (baseline -> current): trades 18% -> 3%",
    ]);
  });
});

describe('renderUnits', () => {
  it('prints ms = no-op jobs per cell, current/baseline, then PASS/MISS', () => {
    const text = renderUnits(noop, unitsTable(noop, [trades], [{ kind: 'trades', cpuMsPerEvent: { 'trade-worker': 0.54 } }]), [
      { name: 'Postgres per trade', goal: '<= 0.4 jobs', measured: '0.40 jobs', pass: true },
      { name: 'trade total (services+PG+Redis)', goal: '<= 2.0 jobs', measured: '2.10 jobs', pass: false },
    ]);
    expect(text).toContain('1 no-op job = 0.400 CPU ms in this run (no-op worker 0.150 + Redis 0.250');
    expect(text).toMatch(/\| trade-worker +\| +0\.540 ms = 1\.35 \| +0\.270 ms = 0\.68 \| +0\.50x \|/);
    expect(text).toMatch(/\| Postgres per trade +\| <= 0\.4 jobs \| 0\.40 jobs \| PASS \|/);
    expect(text).toMatch(/\| trade total \(services\+PG\+Redis\) +\| <= 2\.0 jobs \| 2\.10 jobs \| MISS \|/);
  });
});

describe('inNoopJobs', () => {
  it("gives the capacity model's cells in no-op jobs per event, '-' for a process the stream does not use", () => {
    expect(inNoopJobs({ 'trade-worker': 0.48, 'snapshot-worker': 0.1, postgres: 0.4, redis: 0.3 }, ['trade-worker', 'snapshot-worker', 'postgres', 'redis', 'bench'], 0.4))
      .toEqual(['1.20', '0.25', '1.00', '0.75', '-']);
  });
});
