import { Client } from 'pg';
import { recordFollowerEvents, recordTrades, txOn } from '@vaults/shared';
import { createTestDatabase, type FollowerEv, type TradeEv } from '@vaults/testkit';
import { EventFactory } from './events';
import { createVaults } from './sql-profile';

// `pnpm exec tsx bench/sql-plans.ts [batchSize]`: the plans, with actual rows and times, of every
// statement one trade batch and one follower batch run (auto_explain, its notices printed), after
// a few warm-up batches, on a throwaway database. For a plan's shape (a nested loop where a hash
// was meant, a rescanned CTE), not for timings.

async function main(): Promise<void> {
  const batchSize = Number(process.argv[2] ?? 100);
  const db = await createTestDatabase('vaults_sqlplans');
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  try {
    const f = new EventFactory(50, 5000, 7);
    await createVaults(pg, f);
    const strip = <E extends TradeEv | FollowerEv>({ type: _type, ...rest }: E) => ({ ...rest, removed: false });
    let show = false;
    pg.on('notice', (n) => show && process.stdout.write(`${n.message}\n`));
    await pg.query(`LOAD 'auto_explain'`);
    await pg.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_level = notice`);
    for (let round = 0; round < 5; round++) {
      show = round === 4;
      for (const kind of ['trades', 'followers'] as const) {
        if (show) process.stdout.write(`======== ${kind}\n`);
        await pg.query('BEGIN');
        if (kind === 'trades') await recordTrades(txOn(pg), f.trades(batchSize).map(strip));
        else await recordFollowerEvents(txOn(pg), f.followerEvents(batchSize).map(strip));
        await pg.query('COMMIT');
      }
    }
  } finally {
    await pg.end();
    await db.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
