import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, type PoolClient } from 'pg';
import { PrismaClient } from './generated/prisma/client';

export { Prisma, PrismaClient } from './generated/prisma/client';

/**
 * What the workers' SQL needs: Prisma's tagged-template raw queries. Every value is a bound
 * parameter. Both a Prisma transaction client and `sqlOn(pgClient)` provide it.
 */
export interface Tx {
  $queryRaw<T = unknown>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T>;
  $executeRaw(strings: TemplateStringsArray, ...values: unknown[]): Promise<number>;
}

/** Prisma 7 on the Rust-free client with node-postgres underneath. */
export function createPrisma(databaseUrl: string, poolSize: number): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5000 }) });
}

export interface Database {
  /** The Prisma client, on the same connection pool. */
  prisma: PrismaClient;
  /**
   * One transaction on a pooled connection, for the workers' hot paths. Measured by `pnpm bench`:
   * a batch of 100 trades costs about half the client time of a Prisma interactive transaction
   * running the same statements (docs/BENCHMARK.md).
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Single statements outside a transaction, on the pool. */
  sql: Tx;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createDatabase(databaseUrl: string, poolSize: number): Database {
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5000 });
  // An idle connection that dies (a restarted server) must not crash the process.
  pool.on('error', () => undefined);
  // Prisma loads its query engine (~70 MB) on its first query; the workers never make one.
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    sql: sqlOn(pool),
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A connection that dies while checked out (a database restart) emits 'error' on the
      // client: unhandled, that would end the process. The query in flight fails, the
      // transaction throws and the job is retried; the client is discarded on release.
      const onError = (err: Error) => (broken = err);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(sqlOn(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** Tagged-template queries on a node-postgres client: `${v}` becomes `$n`, v a parameter. */
export function sqlOn(client: Pick<PoolClient, 'query'>): Tx {
  const toQuery = (strings: TemplateStringsArray) => strings.reduce((text, s, i) => (i === 0 ? s : `${text}$${i}${s}`), '');
  return {
    async $queryRaw<T>(strings: TemplateStringsArray, ...values: unknown[]) {
      const r = await client.query(toQuery(strings), values);
      return r.rows as T;
    },
    async $executeRaw(strings: TemplateStringsArray, ...values: unknown[]) {
      const r = await client.query(toQuery(strings), values);
      return r.rowCount ?? 0;
    },
  };
}
