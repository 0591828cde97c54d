import type { Client } from 'pg';
import { createDatabase, createPrisma, toQuery, type PrismaClient, type Tx, recordFollowerEvents, recordTrades } from '@vaults/shared';
import type { FollowerEv, TradeEv } from '@vaults/testkit';
import { EventFactory } from '../lib/events';
import { median } from '../lib/stats';

// Where a batch's time goes: the workers' own batch writers (recordTrades,
// recordFollowerEvents) called on batches of the configured size, one transaction each, on one
// connection, with every SQL statement timed at the client. pg_stat_statements is not preloaded
// on this server (loading it needs a restart of a shared server), so timing is done here.
// Each writer runs twice: through @vaults/shared's createDatabase().transaction (node-postgres,
// as the workers run since c75153d) and through a Prisma interactive transaction with the very
// same SQL text and parameters (as they ran before), which isolates the client library's share.

export interface StatementTiming {
  statement: string;
  calls: number;
  medianMs: number;
}

export interface SqlProfile {
  operation: string;
  client: 'prisma' | 'pg';
  batches: number;
  batchSize: number;
  /** Median wall time of one batch's transaction, BEGIN to COMMIT. */
  batchMs: number;
  /** The part no statement accounts for: BEGIN, COMMIT (WAL flush), the client's own work. */
  outsideStatementsMs: number;
  rowsPerSecondOneConnection: number;
  statements: StatementTiming[];
}

type Runner = (work: (tx: Tx) => Promise<unknown>) => Promise<void>;

export async function profileSql(pg: Client, databaseUrl: string, batchSize: number, batches = 20): Promise<SqlProfile[]> {
  const f = new EventFactory(50, 5000, 7);
  await createVaults(pg, f);
  const strip = <E extends TradeEv | FollowerEv>(e: E) => {
    const { type: _type, ...rest } = e;
    return { ...rest, removed: false };
  };
  const prisma = createPrisma(databaseUrl, 1);
  const db = createDatabase(databaseUrl, 1);
  const runners: [SqlProfile['client'], Runner][] = [
    ['pg', async (work) => void (await db.transaction((tx) => work(tx)))],
    // The same statements through a Prisma interactive transaction, for the comparison.
    ['prisma', async (work) => void (await prisma.$transaction((ptx) => work(prismaTx(ptx)), { timeout: 60_000 }))],
  ];
  const out: SqlProfile[] = [];
  try {
    for (const [client, run] of runners) {
      out.push(await profile(run, client, 'record_trades', batches, () => f.trades(batchSize).map(strip), (tx, b) => recordTrades(tx, b)));
      out.push(await profile(run, client, 'record_follower_events', batches, () => f.followerEvents(batchSize).map(strip), (tx, b) => recordFollowerEvents(tx, b)));
    }
    return out;
  } finally {
    await prisma.$disconnect();
    await db.close();
  }
}

async function profile<B extends unknown[]>(
  run: Runner,
  client: SqlProfile['client'],
  operation: string,
  batches: number,
  make: () => B,
  write: (tx: Tx, batch: B) => Promise<unknown>,
): Promise<SqlProfile> {
  const warmUp = 3;
  const byStatement = new Map<string, number[]>();
  const batchMs: number[] = [];
  let size = 0;
  for (let i = 0; i < warmUp + batches; i++) {
    const batch = make();
    size = batch.length;
    const record = (label: string, ms: number) => {
      if (i >= warmUp) byStatement.set(label, [...(byStatement.get(label) ?? []), ms]);
    };
    const t0 = performance.now();
    await run((tx) => write(timed(tx, record), batch));
    if (i >= warmUp) batchMs.push(performance.now() - t0);
  }
  const statements = [...byStatement].map(([statement, ms]) => ({ statement, calls: ms.length / batches, medianMs: round(median(ms)) }));
  const inStatements = statements.reduce((a, s) => a + s.medianMs * s.calls, 0);
  const batchMedian = median(batchMs);
  return {
    operation, client, batches, batchSize: size,
    batchMs: round(batchMedian),
    outsideStatementsMs: round(batchMedian - inStatements),
    rowsPerSecondOneConnection: Math.round((size * 1000) / batchMedian),
    statements,
  };
}

/**
 * A Prisma interactive transaction as a Tx: the same text and parameters as node-postgres gets
 * (toQuery flattens the generated SQL fragments, which Prisma's tagged template would bind as
 * values), through the raw-unsafe calls, which still bind every parameter.
 */
function prismaTx(ptx: Pick<PrismaClient, '$queryRawUnsafe' | '$executeRawUnsafe'>): Tx {
  return {
    inTransaction: true,
    query: async <T>(strings: TemplateStringsArray, ...values: unknown[]) => {
      const q = toQuery(strings, values);
      return (await ptx.$queryRawUnsafe(q.text, ...q.values)) as T[];
    },
    execute: (strings: TemplateStringsArray, ...values: unknown[]) => {
      const q = toQuery(strings, values);
      return ptx.$executeRawUnsafe(q.text, ...q.values);
    },
  };
}

/** The transaction with every query / execute timed, labelled by its SQL. */
function timed(tx: Tx, record: (label: string, ms: number) => void): Tx {
  return new Proxy(tx, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if ((prop !== 'query' && prop !== 'execute') || typeof value !== 'function') return value;
      return async (strings: TemplateStringsArray, ...values: unknown[]) => {
        const t0 = performance.now();
        const result = await value.call(target, strings, ...values);
        record(label(strings), performance.now() - t0);
        return result;
      };
    },
  });
}

export function label(strings: TemplateStringsArray): string {
  const sql = strings.join('$').replace(/\s+/g, ' ').trim();
  if (sql.startsWith('SELECT v.id')) return 'SELECT "Vault" ids (findVaultIds)';
  if (sql.startsWith('SELECT id, "walletAddress"')) return 'SELECT "User" ids (ensureUsers)';
  if (sql.includes('pg_advisory_xact_lock_shared')) {
    return sql.includes('INSERT INTO "User"')
      ? 'SELECT "Vault" ids + pg_advisory_xact_lock_shared, INSERT followers\' "User" (lockVaultsForWrite)'
      : 'SELECT "Vault" ids + pg_advisory_xact_lock_shared (lockVaultsForWrite)';
  }
  if (sql.startsWith('WITH pairs')) return 'WITH pairs ... balances (FollowerSubscription upsert)';
  // The ledger upserts: one statement that also reports identities of other ledgers and the
  // recorded event every copy is compared with, takes the common case's effects (Trade rows;
  // the recompute-from mark) and, for followers, the balance locks.
  if (sql.startsWith('WITH x AS')) {
    const insert = /INSERT INTO "\w+"/.exec(sql)?.[0];
    if (insert === 'INSERT INTO "TradeEvent"') return `${insert} (ledger upsert, copies compared, Trade insert, recompute-from mark)`;
    if (insert === 'INSERT INTO "FollowerEvent"') return `${insert} (ledger upsert + "User" ids, copies compared, recompute-from mark, balance locks)`;
    return insert ?? 'SELECT recorded identities (findRecorded: events of unknown vaults)';
  }
  return /^(INSERT INTO "\w+"|UPDATE "\w+"|DELETE FROM "\w+")/.exec(sql)?.[1] ?? sql.slice(0, 40);
}

export async function createVaults(pg: Client, f: EventFactory): Promise<void> {
  const deploys = f.deploys();
  const { rows } = await pg.query<{ id: number }>(`INSERT INTO "User" ("walletAddress") SELECT unnest($1::text[]) RETURNING id`, [deploys.map((d) => d.leader)]);
  await pg.query(
    `INSERT INTO "Vault" ("chainId", "contractAddress", "name", "baseAsset", "leaderId")
     SELECT 1, a, 'sql profile', '0x000000000000000000000000000000000000ba5e', u FROM unnest($1::text[], $2::int[]) AS x(a, u)`,
    [deploys.map((d) => d.vaultAddress), rows.map((r) => r.id)],
  );
}

const round = (x: number) => Math.round(x * 100) / 100;
