import { runOnScratchDatabase } from '../sql/scratch';
import { measureSnapshotCost } from './snapshot-cost';
import { snapshotCostTable } from './snapshot-cost-table';

// `pnpm bench:snapshot`: the snapshot-cost phase of `pnpm bench` alone (with the vault series
// on), on a throwaway database. BENCH_HISTORIES (comma-separated) overrides 1000,10000,100000.

const histories = (process.env.BENCH_HISTORIES ?? '1000,10000,100000').split(',').map(Number);

runOnScratchDatabase('snapcost', async (pg, url) => {
  const rows = await measureSnapshotCost(pg, url, histories);
  process.stdout.write(`Snapshot cost by history (one vault; incremental = median of 25 runs after 10 new trades each, sizes interleaved):\n${snapshotCostTable(rows)}\n`);
});
