import { recordFollowerEvents, recordTrades, txOn } from '@vaults/shared';
import type { FollowerEv, TradeEv } from '@vaults/testkit';
import { EventFactory } from '../lib/events';
import { runOnScratchDatabase } from './scratch';
import { createVaults } from './sql-profile';

// `pnpm exec tsx bench/sql/sql-plans.ts [batchSize]`: the plans, with actual rows and times, of every
// statement one trade batch and one follower batch run (auto_explain, its notices printed), after
// a few warm-up batches, on a throwaway database. For a plan's shape (a nested loop where a hash
// was meant, a rescanned CTE), not for timings. ROUNDS=n: the plans after n - 1 batches of each
// (default 5), for the plans of a grown table.

runOnScratchDatabase('vaults_sqlplans', async (pg) => {
  const batchSize = Number(process.argv[2] ?? 100);
  const f = new EventFactory(50, 5000, 7);
  await createVaults(pg, f);
  const strip = <E extends TradeEv | FollowerEv>({ type: _type, ...rest }: E) => ({ ...rest, removed: false });
  let show = false;
  pg.on('notice', (n) => show && process.stdout.write(`${n.message}\n`));
  await pg.query(`LOAD 'auto_explain'`);
  await pg.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_level = notice`);
  const rounds = Number(process.env.ROUNDS ?? 5);
  for (let round = 0; round < rounds; round++) {
    show = round === rounds - 1;
    for (const kind of ['trades', 'followers'] as const) {
      if (show) process.stdout.write(`======== ${kind}\n`);
      await pg.query('BEGIN');
      if (kind === 'trades') await recordTrades(txOn(pg), f.trades(batchSize).map(strip));
      else await recordFollowerEvents(txOn(pg), f.followerEvents(batchSize).map(strip));
      await pg.query('COMMIT');
    }
  }
});
