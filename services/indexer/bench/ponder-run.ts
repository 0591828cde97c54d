import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, waitUntil, type AnyEvent } from '@vaults/testkit';
import { freePort, type DevChain } from '@vaults/devchain';
import { processCpuSeconds } from './backfill';
import { diffPonderTables, expectedPonderTables, type PonderTables } from './ponder-tables';

// One Ponder backfill of the bench chain (bench/ponder: its own package.json and install, not a
// workspace member): `ponder start` on a fresh database, from process start until its tables hold
// a row for every log (not its /ready: Ponder backfills only up to the block it deems final,
// which for an anvil chain id is far behind the head, and indexes the rest block by block as
// "live"; /ready answers 200 when the backfill part is done), then its tables checked against
// the chain's logs (what Ponder is asked to keep: vaults, trades, balances).

export const PONDER_DIR = join(__dirname, 'ponder');
const PONDER_BIN = join(PONDER_DIR, 'node_modules', 'ponder', 'dist', 'esm', 'bin', 'ponder.js');
const SCHEMA = 'bench';

/** Why Ponder cannot run here, or undefined. */
export function ponderMissing(): string | undefined {
  return existsSync(PONDER_BIN) ? undefined : `Ponder is not installed: run \`npm ci\` in ${PONDER_DIR}`;
}

export interface PonderRun {
  /** From `ponder start` until its tables hold every log. */
  seconds: number;
  /** From Ponder's "Started backfill indexing" line (its build and start-up done) until then. */
  indexingSeconds: number;
  /** CPU seconds of the ponder process from its start until then (its build included). */
  cpu: number;
  differences: string[];
}

export async function runPonder(chain: DevChain, events: AnyEvent[], print: (line: string) => void): Promise<PonderRun> {
  const head = await chain.head();
  const db = await createTestDatabase('vaults_bench_ponder');
  const port = await freePort(); // Ponder's HTTP server (unused by the bench, but it always starts one)
  const t0 = Date.now();
  const child = spawn(process.execPath, [PONDER_BIN, 'start', '--schema', SCHEMA, '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: PONDER_DIR,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      PONDER_RPC_URL: chain.url,
      PONDER_FACTORY: chain.factory,
      PONDER_START_BLOCK: String(chain.factoryBlock),
      PONDER_TELEMETRY_DISABLED: 'true',
      PONDER_LOG_LEVEL: 'info', // for its "Started backfill indexing" line
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  let indexingFrom: number | undefined;
  const verbose = process.env.BENCH_PONDER_VERBOSE === '1';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-4000);
    for (const line of b.toString().split('\n')) {
      if (indexingFrom === undefined && line.includes('Started backfill indexing')) indexingFrom = Date.now();
      if (line.trim() && (verbose || / (WARN|ERROR) /.test(line))) print(`[ponder] ${line}`);
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  try {
    const expected = expectedPonderTables(events);
    await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`ponder exited (${child.exitCode}) before it had every log:\n${output}`);
      return (await rowCounts(db.url)) >= expected.trades.size + expected.balances.size + expected.vaults.size;
    }, 900_000, 'Ponder to hold a row for every trade, balance and vault');
    const now = Date.now();
    const cpu = processCpuSeconds(child.pid!);
    return { seconds: (now - t0) / 1000, indexingSeconds: (now - (indexingFrom ?? t0)) / 1000, cpu, differences: await checkPonder(db.url, expected, head) };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await db.drop();
  }
}

/** Rows in Ponder's three tables; 0 until Ponder has created them. */
async function rowCounts(url: string): Promise<number> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM ${SCHEMA}.trade) + (SELECT count(*) FROM ${SCHEMA}.balance) + (SELECT count(*) FROM ${SCHEMA}.vault) AS n`,
    );
    return Number(rows[0]!.n);
  } catch {
    return 0; // the schema or a table not there yet
  } finally {
    await pg.end();
  }
}

async function checkPonder(url: string, expected: PonderTables, head: number): Promise<string[]> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    const vaults = await pg.query<{ address: string; trades: number; pnl: string }>(`SELECT address, trades, pnl::text FROM ${SCHEMA}.vault`);
    const trades = await pg.query<{ k: string }>(`SELECT vault || ':' || "block_number" || ':' || "log_index" || ':' || pnl AS k FROM ${SCHEMA}.trade WHERE "block_number" <= $1`, [head]);
    const balances = await pg.query<{ vault: string; follower: string; amount: string }>(`SELECT vault, follower, amount::text FROM ${SCHEMA}.balance`);
    const actual: PonderTables = {
      vaults: new Map(vaults.rows.map((r) => [r.address.toLowerCase(), { trades: r.trades, pnl: BigInt(r.pnl) }])),
      trades: new Set(trades.rows.map((r) => r.k.toLowerCase())),
      balances: new Map(balances.rows.map((r) => [`${r.vault.toLowerCase()}:${r.follower.toLowerCase()}`, BigInt(r.amount)])),
    };
    return diffPonderTables(expected, actual);
  } finally {
    await pg.end();
  }
}
