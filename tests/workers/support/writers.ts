import { Client } from 'pg';
import {
  createDatabase, recordDeploy, recordFollowerEvents, recordTrades,
  type Database, type FollowerEvent, type TradeExecuted, type Tx,
} from '@vaults/shared';
import { createTestDatabase, deploy, type TestDatabase } from '@vaults/testkit';

// A writers' test bench: a database with vaults, the batch writers run through db.transaction
// (the workers' path) with their statements counted, two raw connections for interleavings,
// and the vault's folded position set by hand.

export const strip = <T extends { type: string }>({ type: _type, ...rest }: T) => ({ ...rest, removed: false });

export class WriterBench {
  db!: Database;
  pg!: Client;
  private test!: TestDatabase;

  async open(): Promise<void> {
    this.test = await createTestDatabase();
    this.db = createDatabase(this.test.url, 4);
    this.pg = await this.connect();
  }

  async close(): Promise<void> {
    await this.pg.end();
    await this.db.close();
    await this.test.drop();
  }

  async connect(): Promise<Client> {
    const c = new Client({ connectionString: this.test.url });
    await c.connect();
    return c;
  }

  /** Deploys vault n (leader 0x1ead) and returns its id. */
  async vault(n: number): Promise<number> {
    return this.db.transaction(async (tx) => (await recordDeploy(tx, strip(deploy(n, 0x1ead)))).vaultId);
  }

  /** One batch in one transaction; the outcomes and the number of statements it ran. */
  async trades(batch: TradeExecuted[]) {
    return this.counted((tx) => recordTrades(tx, batch));
  }

  async followers(batch: FollowerEvent[]) {
    return this.counted((tx) => recordFollowerEvents(tx, batch));
  }

  private async counted<T>(fn: (tx: Tx) => Promise<{ ok: boolean; value?: T; error?: unknown }[]>) {
    let statements = 0;
    const outcomes = await this.db.transaction((tx) => {
      const count = (f: Tx['query'] | Tx['execute']) => (strings: TemplateStringsArray, ...values: unknown[]) => {
        statements++;
        return (f as (s: TemplateStringsArray, ...v: unknown[]) => Promise<never>).call(tx, strings, ...values);
      };
      return fn({ ...tx, query: count(tx.query), execute: count(tx.execute) } as Tx);
    });
    return { statements, outcomes: outcomes.map((o) => (o.ok ? o.value : (o.error as Error).message.split(':')[0])) };
  }

  /** As if the snapshot had folded vault `id` up to (block, logIndex). */
  async fold(id: number, block: number, logIndex: number): Promise<void> {
    await this.pg.query(
      `INSERT INTO "VaultMetricsState" ("vaultId", "blockNumber", "logIndex") VALUES ($1, $2, $3)
       ON CONFLICT ("vaultId") DO UPDATE SET "blockNumber" = $2, "logIndex" = $3, "recomputeFromBlock" = NULL, "recomputeFromLogIndex" = NULL`,
      [id, block, logIndex],
    );
  }

  /** The vault's recompute-from position, and the row version (xmin): unchanged unless updated. */
  async state(id: number): Promise<{ recomputeFrom: string | null; xmin: string }> {
    const { rows } = await this.pg.query(
      `SELECT xmin::text AS xmin, "recomputeFromBlock" || ':' || "recomputeFromLogIndex" AS "recomputeFrom" FROM "VaultMetricsState" WHERE "vaultId" = $1`,
      [id],
    );
    return rows[0];
  }

  async count(table: string, where = 'true'): Promise<number> {
    return Number((await this.pg.query(`SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`)).rows[0].n);
  }

  /** Until connection c's backend waits for a lock (a row or advisory lock another transaction holds). */
  async blocked(c: Client): Promise<boolean> {
    const pid = (c as unknown as { processID: number }).processID;
    const { rows } = await this.pg.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]);
    return rows[0]?.wait_event_type === 'Lock';
  }
}

/** A bench for one test file, opened before its tests with vaults 1 and 2 deployed (ids in `vaults`), closed after. */
export function writerBench(): { w: WriterBench; vaults: number[] } {
  const w = new WriterBench();
  const vaults: number[] = [];
  beforeAll(async () => {
    await w.open();
    vaults.push(await w.vault(1), await w.vault(2));
  });
  afterAll(() => w.close());
  return { w, vaults };
}
