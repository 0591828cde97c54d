import { recordFollowerEvents, recordTrades, txOn, type Tx } from '@vaults/shared';
import type { FollowerEv, TradeEv } from '@vaults/testkit';
import { EventFactory } from '../lib/events';
import { runOnScratchDatabase } from './scratch';
import { createVaults, label } from './sql-profile';

// `pnpm exec tsx bench/sql/statement-cpu.ts [batchSize] [batches]`: the Postgres backend's CPU per
// writer batch, per statement (BEGIN and COMMIT included), from the server's own getrusage
// (log_statement_stats, its LOG lines sent to this client). CPU, not wall time: it holds on a
// busy machine where wall-time medians do not. Needs a superuser connection (as the tests have).

runOnScratchDatabase('vaults_stmtcpu', async (pg) => {
  const batchSize = Number(process.argv[2] ?? 100);
  const batches = Number(process.argv[3] ?? 100);
  const f = new EventFactory(50, 5000, 7);
  await createVaults(pg, f);
  const cpu = new Map<string, number>();
  let current = '';
  let counting = false;
  pg.on('notice', (n) => {
    const m = /([\d.]+) s user, ([\d.]+) s system/.exec(n.detail ?? '');
    if (counting && m) cpu.set(current, (cpu.get(current) ?? 0) + (Number(m[1]) + Number(m[2])) * 1000);
  });
  await pg.query('SET client_min_messages = log');
  await pg.query('SET log_statement_stats = on');
  const base = txOn(pg);
  let op = '';
  const labelled: Tx = {
    ...base,
    query: ((s: TemplateStringsArray, ...v: unknown[]) => ((current = `${op}: ${label(s)}`), base.query(s, ...v))) as Tx['query'],
    execute: (s: TemplateStringsArray, ...v: unknown[]) => ((current = `${op}: ${label(s)}`), base.execute(s, ...v)),
  };
  const strip = <E extends TradeEv | FollowerEv>({ type: _type, ...rest }: E) => ({ ...rest, removed: false });
  const warmUp = 10;
  for (let i = 0; i < warmUp + batches; i++) {
    counting = i >= warmUp;
    for (op of ['record_trades', 'record_follower_events']) {
      current = `${op}: BEGIN`;
      await pg.query('BEGIN');
      if (op === 'record_trades') await recordTrades(labelled, f.trades(batchSize).map(strip));
      else await recordFollowerEvents(labelled, f.followerEvents(batchSize).map(strip));
      current = `${op}: COMMIT`;
      await pg.query('COMMIT');
    }
  }
  const totals = new Map<string, number>();
  for (const [k, ms] of cpu) {
    process.stdout.write(`${(ms / batches).toFixed(3).padStart(7)} ms/batch  ${k}\n`);
    const o = k.split(':')[0]!;
    totals.set(o, (totals.get(o) ?? 0) + ms / batches);
  }
  for (const [o, ms] of totals) process.stdout.write(`${o}: ${ms.toFixed(2)} ms Postgres CPU per batch of ${batchSize}\n`);
});
