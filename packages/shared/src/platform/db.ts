import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, type PoolClient } from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import type { Logger } from './logger';
import { toQuery } from './sql-fragment';

export { Prisma, PrismaClient } from '../generated/prisma/client';

// Two clients, each for what it is good at. Prisma owns the schema and migrations and is the
// client for readers (the API, tests that read state): createPrisma. The workers' hot paths run
// parameterised SQL on node-postgres (createDatabase), cheaper per batch than a Prisma interactive
// transaction (docs/BENCHMARK.md, "Why the code is as it is"); they never construct a PrismaClient.

/**
 * Parameterised SQL as tagged templates: `${v}` becomes `$n` with v a bound parameter, never
 * spliced into the text (a SqlFragment is: its text from constants, its own values bound; sql-fragment.ts). `query`
 * returns the rows, `execute` the number of rows affected.
 */
export interface Sql {
  query<T = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>;
  execute(strings: TemplateStringsArray, ...values: unknown[]): Promise<number>;
}

/** Sql inside a transaction (BEGIN … COMMIT on one connection): what code that takes locks needs. */
export interface Tx extends Sql {
  readonly inTransaction: true;
}

/** Prisma 7 on the Rust-free client with node-postgres underneath (readers, tests, tools). */
export function createPrisma(databaseUrl: string, poolSize: number): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5000 }) });
}

export interface Database {
  /** One transaction on a pooled connection; rolled back when fn throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Single statements outside a transaction, on the pool (each may run on another connection). */
  sql: Sql;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Where the pool's own errors go (an idle connection that died); without it they are dropped. */
  log?: Pick<Logger, 'warn'>;
  /**
   * Transactions' statements named (prepared once per connection, DB_PREPARED_STATEMENTS): Postgres
   * parses each once and, once its generic plan is as good, plans it once. Statements outside a
   * transaction (`sql`) stay unnamed.
   */
  prepared?: boolean;
}

export function createDatabase(databaseUrl: string, poolSize: number, opts: DatabaseOptions = {}): Database {
  // pipeline: a query is written to the socket without waiting for the previous one's answer
  // (node-postgres' pipeline mode, one Sync per query, so an error still fails only its own
  // query and, inside a transaction, the rest of the transaction). transactionOn uses it to send
  // BEGIN with the first statement: one round trip less per transaction.
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5000, pipeline: true });
  // An idle connection that dies (a restarted server, a fail-over, a pooler that closed it) must not
  // crash the process, but it must be seen: the pool replaces it, and the next queries say more.
  pool.on('error', (err: Error) => opts.log?.warn({ err }, 'database connection lost (idle in the pool)'));
  // Named statements until the server shows it does not keep them: a transaction pooler that
  // does not track prepared statements (PgBouncer before 1.21, or max_prepared_statements = 0)
  // hands a later transaction another server connection, where the name is unknown (26000) or
  // taken (42P05). That transaction fails and its jobs are retried; this process then sends
  // unnamed statements, and says so once.
  const named = { on: opts.prepared ?? false };
  const onPoolerLostStatement = (err: Error) => {
    if (!named.on) return;
    named.on = false;
    opts.log?.warn({ err }, 'prepared statements are not kept by the server connection (a transaction pooler?): sending unnamed statements from now on; set DB_PREPARED_STATEMENTS=off to start that way');
  };
  return {
    sql: sqlOn(pool),
    transaction: (fn) => transactionOn(pool, fn, named.on, onPoolerLostStatement),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}

async function transactionOn<T>(pool: Pool, fn: (tx: Tx) => Promise<T>, prepared: boolean, onLostStatement: (err: Error) => void): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A connection that dies while checked out (a database restart) emits 'error' on the
  // client: unhandled, that would end the process. The query in flight fails, the
  // transaction throws and the job is retried; the client is discarded on release.
  const onError = (err: Error) => (broken = err);
  client.on('error', onError);
  try {
    // Not awaited before fn: BEGIN goes out with fn's first statement, in one write (the socket is
    // corked until fn has issued what it issues at once: a write on a loopback socket to Postgres
    // cost the trade worker ~2% of its CPU per BEGIN). Postgres runs them in order, so that
    // statement is inside the transaction. BEGIN itself does not fail on a healthy connection (a
    // nested BEGIN is only a warning); on a broken one every queued statement fails with it. It is
    // awaited before COMMIT all the same.
    const stream = client.connection.stream;
    stream.cork();
    let begin: Promise<unknown>;
    let pending: Promise<T>;
    try {
      begin = client.query('BEGIN');
      begin.catch(() => undefined);
      pending = fn(prepared ? preparedTxOn(client) : txOn(client));
    } finally {
      stream.uncork();
    }
    const result = await pending;
    await begin;
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A prepared statement whose result columns changed (a migration altered a table it returns
    // with *) fails on this connection until it is closed: discard it; the retry gets a fresh one.
    if (isStalePreparedStatement(err)) broken = err as Error;
    if (prepared && isLostPreparedStatement(err)) {
      broken = err as Error;
      onLostStatement(err as Error);
    }
    await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * A Tx on a connection the caller has already put in a transaction (BEGIN or a SAVEPOINT):
 * for tests that roll back what they wrote. Production code gets its Tx from db.transaction.
 */
export function txOn(client: Pick<PoolClient, 'query'>): Tx {
  return { ...sqlOn(client), inTransaction: true };
}

/**
 * txOn with named statements: each text gets a name from its hash, so node-postgres prepares it
 * once per connection and then only binds and executes it. Postgres CPU per trade, trade batch
 * and its snapshot runs: 0.73x (docs/BENCHMARK.md, "Postgres per trade"): the snapshot's small
 * statements were mostly parse and plan.
 */
function preparedTxOn(client: Pick<PoolClient, 'query'>): Tx {
  return { ...sqlOn(client, statementName), inTransaction: true };
}

function sqlOn(client: Pick<PoolClient, 'query'>, nameOf?: (text: string) => string | undefined): Sql {
  const send = (strings: TemplateStringsArray, values: unknown[]) => {
    const q = toQuery(strings, values);
    const name = nameOf?.(q.text);
    return client.query(name ? { ...q, name } : q);
  };
  return {
    async query<T>(strings: TemplateStringsArray, ...values: unknown[]) {
      return (await send(strings, values)).rows as T[];
    },
    async execute(strings: TemplateStringsArray, ...values: unknown[]) {
      return (await send(strings, values)).rowCount ?? 0;
    },
  };
}

/** Names by text, bounded: the hot statements are a few dozen texts; past the bound, unnamed. */
const NAMES = new Map<string, string>();
const MAX_NAMES = 500;

function statementName(text: string): string | undefined {
  let name = NAMES.get(text);
  if (name === undefined && NAMES.size < MAX_NAMES) {
    name = `v_${createHash('sha1').update(text).digest('hex')}`;
    NAMES.set(text, name);
  }
  return name;
}

/** SQLSTATE 26000 (no such prepared statement) or 42P05 (one of that name exists already): not our connection's statements. */
function isLostPreparedStatement(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '26000' || code === '42P05';
}

/** SQLSTATE 0A000 "cached plan must not change result type". */
function isStalePreparedStatement(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  return e?.code === '0A000' && /cached plan must not change result type/.test(e.message ?? '');
}
