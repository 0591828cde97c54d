import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { createDatabase, markRecomputeFrom, type Config, type Database, type Metrics } from '@vaults/shared';
import { createTestDatabase } from '@vaults/testkit';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { baselineSnapshot } from './snapshot-baseline';
import { median } from '../lib/stats';

// Statements and CPU per CalculateSnapshot, the current handler against the pre-merge one
// (snapshot-baseline.ts), on a database of its own: `pnpm exec tsx bench/snapshot/snapshot-statements.ts`
// (ROUNDS=n, STATEMENT_TIMES=1 for ms per statement). Postgres must run on this machine (its
// backends' CPU is read from /proc). Each variant has its own vault with the same events (1
// deposit, HISTORY trades) and its own connection; the rounds interleave the two, so that the
// machine's noise falls on both alike. BEGIN/COMMIT are not counted (db.transaction's business).
// Cases: the first (full) fold, once; incremental (NEW_TRADES new trades) and nothing new (right
// after it) every round; an unknown vault every 10th; recompute once at the end (a trade inserted
// in the middle of the history and marked). Ends by checking that both variants left the same
// metrics, state and checkpoints.

const HISTORY = 3000;
const NEW_TRADES = 10;
const ROUNDS = Number(process.env.ROUNDS ?? 40);
const CHECKPOINT_EVERY = 1000;
type Variant = 'before' | 'after';

let statements = 0;
/** With STATEMENT_TIMES=1: ms per statement, by its first words (where the time goes). */
const times = new Map<string, number[]>();
const query = Client.prototype.query as (...args: unknown[]) => unknown;
Client.prototype.query = function (this: Client, ...args: unknown[]) {
  const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
  if (!/^\s*(BEGIN|COMMIT|ROLLBACK)\b/i.test(text ?? '')) statements++;
  const result = query.apply(this, args);
  if (process.env.STATEMENT_TIMES && result instanceof Promise) {
    const t0 = performance.now();
    const key = (text ?? '').replace(/\s+/g, ' ').trim().slice(0, 60);
    void result.then(() => times.set(key, [...(times.get(key) ?? []), performance.now() - t0]), () => undefined);
  }
  return result;
} as typeof Client.prototype.query;

const address = (n: number) => '0x' + n.toString(16).padStart(40, '0');

interface Cost {
  statements: number;
  ms: number;
  /** CPU of this process (node-postgres, the fold) and of the variant's Postgres backend, µs. */
  nodeUs: number;
  pgUs: number;
}

async function main(): Promise<void> {
  const tdb = await createTestDatabase('vaults_bench');
  const pg = new Client({ connectionString: tdb.url });
  await pg.connect();
  // One connection per variant: its backend's CPU (/proc/<pid>/schedstat) is the variant's Postgres cost.
  const dbs = { before: createDatabase(tdb.url, 1), after: createDatabase(tdb.url, 1) };
  try {
    const backends = { before: await backendPid(dbs.before), after: await backendPid(dbs.after) };
    const vaults = { before: await createVault(pg, 0x5b1), after: await createVault(pg, 0x5b2) };
    const run = (v: Variant, vaultAddress = address(v === 'before' ? 0x5b1 : 0x5b2)) => snapshot(dbs[v], backends[v], v, vaultAddress);
    const cases = ['full fold', 'incremental', 'nothing new', 'recompute', 'unknown vault'] as const;
    const costs = Object.fromEntries(cases.map((c) => [c, { before: [] as Cost[], after: [] as Cost[] }])) as Record<(typeof cases)[number], Record<Variant, Cost[]>>;
    for (const v of ['before', 'after'] as const) costs['full fold'][v].push(await run(v)); // one sample each, and the warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of r % 2 ? (['after', 'before'] as const) : (['before', 'after'] as const)) {
        await insertTrades(pg, vaults[v], HISTORY + 1 + r * NEW_TRADES, NEW_TRADES);
        costs.incremental[v].push(await run(v));
        costs['nothing new'][v].push(await run(v));
        if (r % 10 === 0) costs['unknown vault'][v].push(await run(v, address(0xdead)));
      }
    }
    for (const v of ['before', 'after'] as const) {
      await insertMiddleTrade(pg, dbs[v], vaults[v]);
      costs.recompute[v].push(await run(v));
    }
    console.log(`per CalculateSnapshot, history ${HISTORY} trades, checkpoint every ${CHECKPOINT_EVERY}, ${ROUNDS} interleaved rounds (incremental: ${NEW_TRADES} new trades);`);
    console.log('statements without BEGIN/COMMIT; medians of wall ms, CPU µs of this process and of the Postgres backend:');
    const fmt = (c: Cost[]) => `${String(median(c.map((x) => x.statements))).padStart(3)} stmts ${median(c.map((x) => x.ms)).toFixed(2).padStart(6)} ms ${median(c.map((x) => x.nodeUs)).toFixed(0).padStart(6)} µs node ${median(c.map((x) => x.pgUs)).toFixed(0).padStart(6)} µs pg`;
    for (const c of cases) console.log(`  ${c.padEnd(14)} before ${fmt(costs[c].before)}   after ${fmt(costs[c].after)}`);
    for (const [key, t] of times) if (t.length >= ROUNDS) console.log(`  ${median(t).toFixed(3).padStart(7)} ms x${t.length}  ${key}`);
    await sameOutcome(pg, vaults.before, vaults.after);
  } finally {
    for (const d of Object.values(dbs)) await d.close();
    await pg.end();
    await tdb.drop();
  }
}

async function snapshot(db: Database, backend: number, v: Variant, vaultAddress: string): Promise<Cost> {
  const [s0, c0, p0, t0] = [statements, process.cpuUsage(), backendCpuUs(backend), performance.now()];
  if (v === 'before') await baselineSnapshot(db, 1, vaultAddress, CHECKPOINT_EVERY);
  else await snapshotWorker.handlers.CalculateSnapshot({ chainId: 1, vaultAddress }, DEPS(db), CTX);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { statements: statements - s0, ms, nodeUs: c.user + c.system, pgUs: backendCpuUs(backend) - p0 };
}

async function backendPid(db: Database): Promise<number> {
  const [row] = await db.sql.query<{ pid: number }>`SELECT pg_backend_pid() AS pid`;
  return row!.pid;
}

/** Time on CPU of a local Postgres backend, µs (schedstat: ns, first field). */
function backendCpuUs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
}

const noop = () => undefined;
const DEPS = (db: Database) => ({
  db,
  config: { snapshotCheckpointEvery: CHECKPOINT_EVERY } as Config,
  metrics: { dbTransactionDuration: { startTimer: () => noop } } as unknown as Metrics,
});
const CTX = { jobId: undefined, log: { info: noop, debug: noop } } as unknown as Parameters<typeof snapshotWorker.handlers.CalculateSnapshot>[2];

async function createVault(pg: Client, n: number): Promise<number> {
  const { rows: [user] } = await pg.query<{ id: number }>(`INSERT INTO "User" ("walletAddress") VALUES ($1) RETURNING id`, [address(n)]);
  const { rows: [vault] } = await pg.query<{ id: number }>(
    `INSERT INTO "Vault" ("chainId", "contractAddress", "name", "baseAsset", "leaderId") VALUES (1, $1, 'statements', $2, $3) RETURNING id`,
    [address(n), address(0xba5e), user!.id],
  );
  await pg.query(
    `INSERT INTO "FollowerEvent" ("chainId", "blockHash", "txHash", "logIndex", "vaultId", "userId", "action", "amount", "blockNumber", "blockTimestamp")
     VALUES (1, $1, $1, 0, $2, $3, 'DEPOSIT', 1000000000000000000000000, 0, 1700000000)`,
    ['0x' + n.toString(16).padStart(64, '0'), vault!.id, user!.id],
  );
  await insertTrades(pg, vault!.id, 1, HISTORY);
  return vault!.id;
}

/** `count` trades at blocks 10*from .. 10*(from+count-1) (gaps for a late trade), pnl spread over -1000..1000. */
async function insertTrades(pg: Client, vaultId: number, from: number, count: number, blockOffset = 0): Promise<void> {
  await pg.query(
    `INSERT INTO "Trade" ("chainId", "blockHash", "txHash", "logIndex", "vaultId", "blockNumber", "blockTimestamp", "tokenIn", "tokenOut", "amountIn", "amountOut", "pnl")
     SELECT 1, '0x5ca1e' || lpad(to_hex($1::bigint * 100000000 + g * 10 + $4), 59, '0'), '0x5ca1e' || lpad(to_hex($1::bigint * 100000000 + g * 10 + $4), 59, '0'), 0, $1, g * 10 + $4, 1700000000 + g,
            '0x00000000000000000000000000000000000000aa', '0x00000000000000000000000000000000000000bb', 1000000, 990000, ((g * 7919) % 2001) - 1000
       FROM generate_series($2::bigint, $3::bigint) AS g`,
    [vaultId, from, from + count - 1, blockOffset],
  );
}

/** A late trade in the middle of the history, marked as a writer would (rule 2 of the lock protocol). */
async function insertMiddleTrade(pg: Client, db: Database, vaultId: number): Promise<void> {
  const middle = Math.floor(HISTORY / 2) + 1;
  await insertTrades(pg, vaultId, middle, 1, 5);
  await db.transaction((tx) => markRecomputeFrom(tx, [{ vaultId, blockNumber: middle * 10 + 5, logIndex: 0 }]));
}

async function sameOutcome(pg: Client, a: number, b: number): Promise<void> {
  const read = async (id: number) => {
    const { rows: [v] } = await pg.query(`SELECT tvl::text, roi, drawdown FROM "Vault" WHERE id = $1`, [id]);
    const { rows: cps } = await pg.query(`SELECT "blockNumber", "eventsFolded", "equity"::text, "sharePrice", "peak", "maxDrawdown" FROM "VaultCheckpoint" WHERE "vaultId" = $1 ORDER BY 1`, [id]);
    const { rows: [s] } = await pg.query(`SELECT "blockNumber", "eventsFolded", "equity"::text, "sharePrice", "recomputeFromBlock" FROM "VaultMetricsState" WHERE "vaultId" = $1`, [id]);
    return JSON.stringify({ v, cps, s });
  };
  const [ra, rb] = [await read(a), await read(b)];
  if (ra !== rb) throw new Error(`the two variants disagree:\n${ra}\n${rb}`);
  console.log('both variants left the same Vault metrics, state and checkpoints');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
