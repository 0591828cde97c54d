import type { SnapshotCostRow } from './snapshot-cost';
import { table } from '../lib/table';

// The snapshot-cost rows as printed by `pnpm bench` and `pnpm bench:snapshot`, with the ratios to
// the smallest history measured in the same run (the machine is noisy; ratios in one run are not).

const k = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

export function snapshotCostTable(rows: SnapshotCostRow[]): string {
  const base = rows[0];
  const ratio = (x: number, b: number | undefined) => (b ? `${(x / b).toFixed(2)}x` : '');
  return [
    table(
      ['history', 'full ms', 'full us/trade', 'incremental ms', 'incr us/new trade', 'vs first', 'events read', 'series rows/incr'],
      rows.map((c) => [
        k(c.history), c.fullMs.toFixed(1), c.fullUsPerTrade.toFixed(1), c.incrementalMs.toFixed(2), c.incrementalUsPerNewTrade.toFixed(1),
        ratio(c.incrementalUsPerNewTrade, base?.incrementalUsPerNewTrade), c.eventsReadPerIncremental, c.seriesRowsPerIncremental,
      ]),
    ),
    'Late trades (one snapshot each, after the incremental rounds):',
    table(
      ['history', 'far back ms', 'events read', 'series rows', 'vs incremental', 'recent ms', 'events read', 'series rows', 'vs incremental'],
      rows.map((c) => [
        k(c.history), c.lateFarBack.ms.toFixed(1), c.lateFarBack.eventsRead, c.lateFarBack.seriesRows, ratio(c.lateFarBack.ms, c.incrementalMs),
        c.lateRecent.ms.toFixed(1), c.lateRecent.eventsRead, c.lateRecent.seriesRows, ratio(c.lateRecent.ms, c.incrementalMs),
      ]),
    ),
  ].join('\n');
}
