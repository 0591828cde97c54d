import { Client } from 'pg';
import { createHash } from 'node:crypto';
import { advanceSnapshot, markSnapshotDue, recordFollowerEvents, recordTrades, txOn, type Tx } from '@vaults/shared';
import { createTestDatabase, type FollowerEv, type TradeEv } from '@vaults/testkit';
import { EventFactory } from '../lib/events';
import { runOnScratchDatabase } from './scratch';
import { createVaults, label } from './sql-profile';

// `pnpm exec tsx bench/sql/statement-cpu.ts [batchSize] [batches]`: the Postgres backend's CPU per
// writer batch, per statement (BEGIN and COMMIT included; the batch's snapshot-due marks last), from the server's own getrusage
// (log_statement_stats, its LOG lines sent to this client). CPU, not wall time: it holds on a
// busy machine where wall-time medians do not. Needs a superuser connection (as the tests have).
// After each trade batch, the snapshot runs the pipeline makes per trade (SNAPSHOTS_PER_TRADE,
// default 0.043 as in `pnpm bench`'s trade phase; rotating over the 50 vaults), each its own
// transaction, counted per trade with the batch. Options (environment):
// - FOLLOWERS=0: trade batches alone (as in the trade phase; else a follower batch follows each,
//   and the snapshots fold its events too);
// - PG_STATS=stages: per statement, its parse, analysis, rewrite, planning and execution CPU
//   (log_parser_stats, log_planner_stats, log_executor_stats) instead of the statement's total;
// - VARIANT_SQL='<sql>': A/B in one run: a second database, the same events, with this SQL run
//   after its migrations (e.g. an index dropped); the rounds alternate which goes first, and
//   each line prints both and B/A (VARIANT_SQL runs on B's connection: a SET holds for its session);
// - NAMED=B (or A, or AB): that side sends its statements named (prepared once per connection), so that Postgres
//   parses them once and, with VARIANT_SQL='SET plan_cache_mode = force_generic_plan', plans once.

interface Side {
  name: string;
  pg: Client;
  f: EventFactory;
  vaultIds: number[];
  cpu: Map<string, number>;
  /** Labels of the statements sent and not yet done, in order (the snapshot pipelines two). */
  pending: string[];
}

const STAGES: Record<string, string> = {
  'PARSER STATISTICS': 'parse', 'PARSE ANALYSIS STATISTICS': 'analyse', 'REWRITER STATISTICS': 'rewrite',
  'PLANNER STATISTICS': 'plan', 'EXECUTOR STATISTICS': 'execute',
};

runOnScratchDatabase('vaults_stmtcpu', async (pgA) => {
  const batchSize = Number(process.argv[2] ?? 100);
  const batches = Number(process.argv[3] ?? 100);
  const snapshotsPerTrade = Number(process.env.SNAPSHOTS_PER_TRADE ?? 0.043);
  const stages = process.env.PG_STATS === 'stages';
  const variant = process.env.VARIANT_SQL;
  const dbB = variant ? await createTestDatabase('vaults_stmtcpu') : undefined;
  const sides: Side[] = [{ name: 'A', pg: pgA } as Side];
  if (dbB) {
    const pgB = new Client({ connectionString: dbB.url });
    await pgB.connect();
    await pgB.query(variant!);
    sides.push({ name: 'B', pg: pgB } as Side);
  }
  try {
    for (const s of sides) await prepare(s, stages);
    const warmUp = 10;
    let snapshotDebt = 0;
    for (let i = 0; i < warmUp + batches; i++) {
      const counting = i >= warmUp;
      snapshotDebt += batchSize * snapshotsPerTrade;
      const runs = Math.floor(snapshotDebt);
      snapshotDebt -= runs;
      for (const s of i % 2 ? [...sides].reverse() : sides) await round(s, batchSize, runs, i, counting);
    }
    print(sides, batches, batchSize);
  } finally {
    if (dbB) {
      await sides[1]!.pg.end();
      await dbB.drop();
    }
  }
});

async function prepare(s: Side, stages: boolean): Promise<void> {
  s.f = new EventFactory(50, 5000, 7); // the same events on both sides
  await createVaults(s.pg, s.f);
  s.vaultIds = (await s.pg.query<{ id: number }>(`SELECT id FROM "Vault" ORDER BY id`)).rows.map((r) => r.id);
  s.cpu = new Map();
  s.pending = [];
  s.pg.on('notice', (n) => {
    const m = /([\d.]+) s user, ([\d.]+) s system/.exec(n.detail ?? '');
    const current = s.pending[0];
    if (!current || !m) return;
    const key = stages ? `${current} [${STAGES[n.message ?? ''] ?? n.message}]` : current;
    s.cpu.set(key, (s.cpu.get(key) ?? 0) + (Number(m[1]) + Number(m[2])) * 1000);
  });
  // A statement's LOG lines come before its ReadyForQuery (node-postgres' internal connection).
  (s.pg as unknown as { connection: { on(e: string, f: () => void): void } }).connection.on('readyForQuery', () => void s.pending.shift());
  await s.pg.query('SET client_min_messages = log');
  if (stages) await s.pg.query('SET log_parser_stats = on; SET log_planner_stats = on; SET log_executor_stats = on');
  else await s.pg.query('SET log_statement_stats = on');
}

async function round(s: Side, batchSize: number, snapshots: number, i: number, counting: boolean): Promise<void> {
  let op = '';
  const base = process.env.NAMED?.includes(s.name) ? named(s.pg) : txOn(s.pg);
  const at = (sql: string) => void s.pending.push(counting ? `${op}: ${sql}` : '');
  const tx: Tx = {
    ...base,
    query: ((q: TemplateStringsArray, ...v: unknown[]) => (at(name(op, q)), base.query(q, ...v))) as Tx['query'],
    execute: (q: TemplateStringsArray, ...v: unknown[]) => (at(name(op, q)), base.execute(q, ...v)),
    commitWith: (last) => last(tx),
  };
  const inTx = async (work: () => Promise<unknown>) => {
    at('BEGIN');
    await s.pg.query('BEGIN');
    await work();
    at('COMMIT');
    await s.pg.query('COMMIT');
  };
  const strip = <E extends TradeEv | FollowerEv>({ type: _type, ...rest }: E) => ({ ...rest, removed: false });
  op = 'record_trades';
  // Each batch ends with its snapshot-due marks, as in the pipeline (vaultEventRecorder).
  const recordThenMark = async <E extends { chainId: number; vaultAddress: string }>(write: (tx: Tx, es: E[]) => Promise<unknown>, events: E[]) => {
    await write(tx, events);
    await markSnapshotDue(tx, events);
  };
  await inTx(() => recordThenMark(recordTrades, s.f.trades(batchSize).map(strip)));
  op = 'snapshot';
  for (let k = 0; k < snapshots; k++) await inTx(() => advanceSnapshot(tx, s.vaultIds[(i * 7 + k) % s.vaultIds.length]!, 1000));
  if (process.env.FOLLOWERS === '0') return;
  op = 'record_follower_events';
  await inTx(() => recordThenMark(recordFollowerEvents, s.f.followerEvents(batchSize).map(strip)));
}

/** A Tx whose statements are named by their text's hash (node-postgres prepares each once per connection). */
function named(pg: Client): Tx {
  const query = (q: { text: string; values: unknown[] }) => pg.query({ ...q, name: createHash('sha1').update(q.text).digest('hex').slice(0, 16) });
  return txOn({ query } as unknown as Client);
}

function name(op: string, q: TemplateStringsArray): string {
  return op === 'snapshot' ? q.join('$').replace(/\s+/g, ' ').trim().slice(0, 70) : label(q);
}

function print(sides: Side[], batches: number, batchSize: number): void {
  const keys = [...new Set(sides.flatMap((s) => [...s.cpu.keys()]))];
  const per = (s: Side | undefined, k: string) => (s?.cpu.get(k) ?? 0) / batches;
  const [a, b] = sides;
  const cell = (x: number) => x.toFixed(3).padStart(7);
  process.stdout.write(`Postgres CPU, ms per batch of ${batchSize} (each op's work per trade batch)${b ? ': A, B, B/A' : ''}\n`);
  for (const k of keys) {
    const ratio = b && per(a, k) ? `  ${(per(b, k) / per(a, k)).toFixed(2)}x` : '';
    process.stdout.write(`${cell(per(a, k))}${b ? ` ${cell(per(b, k))}${ratio}` : ''}  ${k}\n`);
  }
  for (const s of sides) {
    const totals = new Map<string, number>();
    for (const k of keys) totals.set(k.split(':')[0]!, (totals.get(k.split(':')[0]!) ?? 0) + per(s, k));
    const trade = (totals.get('record_trades') ?? 0) + (totals.get('snapshot') ?? 0);
    const line = [...totals].map(([o, ms]) => `${o} ${ms.toFixed(2)} ms`).join(', ');
    process.stdout.write(`${s.name}: ${line}; per trade (trade batch + its snapshots) ${((trade * 1000) / batchSize).toFixed(1)} us\n`);
  }
}
