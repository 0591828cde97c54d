import type { Target } from '../lib/table';

// The trade pipeline's cost targets, judged on the trade pipeline of the code under test: CPU per trade summed
// over the services, Postgres and Redis (the bench's own process, which only enqueues and
// counts, left out) and the trade rate against the no-op ceiling of the same run.

export const MAX_CPU_MS_PER_TRADE = 0.3;
export const MIN_TRADES_VS_CEILING = 0.6;

/** Groups of a CPU-cost record that are not processes of the system (totals, the bench, the neighbours, per-master splits). */
const NOT_SYSTEM = new Set(['total', 'bench', 'others']);

export function isSystemGroup(group: string): boolean {
  return !NOT_SYSTEM.has(group) && !group.includes(':');
}

/** CPU ms per event over the services + Postgres + Redis: every group but the bench's own. */
export function systemCpuMs(cpuMsPerEvent: Record<string, number>): number {
  const sum = Object.entries(cpuMsPerEvent).filter(([g]) => isSystemGroup(g)).reduce((a, [, ms]) => a + ms, 0);
  return Math.round(sum * 1000) / 1000;
}

export function tradeCostTargets(trades: { cpuMsPerEvent: Record<string, number>; perSecond: number }, ceiling: number): Target[] {
  const cpu = systemCpuMs(trades.cpuMsPerEvent);
  const ratio = trades.perSecond / ceiling;
  return [
    {
      name: 'CPU ms per trade (services+PG+Redis)', goal: `<= ${MAX_CPU_MS_PER_TRADE.toFixed(2)}`,
      measured: cpu.toFixed(3), pass: cpu <= MAX_CPU_MS_PER_TRADE,
    },
    { name: 'trade events vs ceiling', goal: `>= ${MIN_TRADES_VS_CEILING.toFixed(2)}x`, measured: `${ratio.toFixed(2)}x`, pass: ratio >= MIN_TRADES_VS_CEILING },
  ];
}
