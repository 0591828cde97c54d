import type { Database, Tx } from '@vaults/shared';

// The indexer's durable state in Postgres (models Indexer* in prisma/schema.prisma): the cursor,
// the hashes of the recent blocks, the vaults found so far, and the logs sent from recent blocks
// (keyed by block hash and log index: a log is its block's, contract version 2).
// Every change of a range is one transaction, so the state is always that of a whole range.
//
// Fencing: the first load() of a store takes the writer epoch (IndexerCursor.epoch + 1), so call
// it right after the writer lock is taken. Every write transaction then locks the cursor row and
// checks the epoch is still this store's: a writer that lost the lock to another one (which took
// a higher epoch) gets a FencedError and writes nothing. Sends are recorded (recordSends) before
// they are enqueued, so what a fenced writer may still put on the queues is known to the next one.

export interface StoredBlock {
  number: number;
  hash: string;
  parentHash: string;
}

export interface SentLog {
  blockNumber: number;
  blockHash: string;
  txHash: string;
  logIndex: number;
  kind: string;
  payload: Record<string, unknown>;
}

export interface StreamState {
  cursor: number;
  cursorHash: string | null;
  /** Recent blocks, ascending. */
  blocks: StoredBlock[];
  vaults: string[];
}

export interface RangeCommit {
  toBlock: number;
  toHash: string | null;
  /** Blocks of the range that are not final yet (their hashes are kept). */
  blocks: StoredBlock[];
  vaults: { address: string; blockNumber: number }[];
  /** Blocks below this are final: their hashes are forgotten. */
  finalBelow: number;
  /** Sent logs below this are forgotten (SENT_LOG_RETENTION). */
  logsBelow: number;
}

/** Another writer took the stream (a higher epoch): this one must stop writing at once. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
}

export class StreamStore {
  /** The writer epoch this store took on its first load (the fencing token). */
  private epoch: string | undefined;

  constructor(
    private readonly db: Database,
    readonly streamId: string,
  ) {}

  /**
   * Creates the cursor at startBlock - 1 on first run; never moves an existing one. The first load
   * of a store takes the writer epoch (call it with the writer lock held).
   */
  async load(chainId: number, startBlock: number): Promise<StreamState> {
    const id = this.streamId;
    await this.db.sql.execute`
      INSERT INTO "IndexerCursor" ("streamId", "chainId", "blockNumber") VALUES (${id}, ${chainId}, ${startBlock - 1})
      ON CONFLICT ("streamId") DO NOTHING`;
    if (this.epoch === undefined) {
      const [row] = await this.db.sql.query<{ epoch: string }>`
        UPDATE "IndexerCursor" SET epoch = epoch + 1 WHERE "streamId" = ${id} RETURNING epoch::text`;
      this.epoch = row!.epoch;
    }
    const [cursor] = await this.db.sql.query<{ chainId: string; blockNumber: string; blockHash: string | null }>`
      SELECT "chainId"::text, "blockNumber"::text, "blockHash" FROM "IndexerCursor" WHERE "streamId" = ${id}`;
    if (Number(cursor!.chainId) !== chainId) {
      throw new Error(`stream ${id} was indexed on chain ${cursor!.chainId}, the node is on chain ${chainId}`);
    }
    const blocks = await this.db.sql.query<{ n: string; hash: string; parent: string }>`
      SELECT "blockNumber"::text AS n, "blockHash" AS hash, "parentHash" AS parent FROM "IndexerBlock"
       WHERE "streamId" = ${id} ORDER BY "blockNumber"`;
    const vaults = await this.db.sql.query<{ address: string }>`
      SELECT address FROM "IndexerVault" WHERE "streamId" = ${id} ORDER BY "blockNumber", address`;
    return {
      cursor: Number(cursor!.blockNumber),
      cursorHash: cursor!.blockHash,
      blocks: blocks.map((b) => ({ number: Number(b.n), hash: b.hash, parentHash: b.parent })),
      vaults: vaults.map((v) => v.address),
    };
  }

  /** A write transaction of the current writer only (see Fencing above). */
  private fenced<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      if (this.epoch !== undefined) {
        const [row] = await tx.query<{ epoch: string }>`
          SELECT epoch::text FROM "IndexerCursor" WHERE "streamId" = ${this.streamId} FOR UPDATE`;
        if (row?.epoch !== this.epoch) {
          throw new FencedError(`another writer took stream ${this.streamId} (epoch ${row?.epoch}, ours ${this.epoch}): not writing`);
        }
      }
      return fn(tx);
    });
  }

  /** Fails with FencedError when another writer took the stream; call before any enqueue. */
  async assertWriter(): Promise<void> {
    await this.fenced(async () => undefined);
  }

  /**
   * Records logs about to be enqueued, before they are (the range's only record of them: the
   * range's commit does not write them again): a writer that is fenced here sends nothing, and
   * one fenced later leaves a record above the cursor that the next writer reconciles with the
   * chain (sentLogsAfter(cursor)). Fenced even with nothing to record (logs below
   * SENT_LOG_RETENTION are sent unrecorded).
   */
  async recordSends(logs: SentLog[]): Promise<void> {
    await this.fenced(async (tx) => {
      if (!logs.length) return;
      await tx.execute`
        INSERT INTO "IndexerSentLog" ("streamId", "blockNumber", "blockHash", "txHash", "logIndex", kind, payload)
        SELECT ${this.streamId}, n, b, h, i, k, p FROM unnest(${logs.map((l) => l.blockNumber)}::bigint[], ${logs.map((l) => l.blockHash)}::text[],
                                               ${logs.map((l) => l.txHash)}::text[],
                                               ${logs.map((l) => l.logIndex)}::bigint[], ${logs.map((l) => l.kind)}::text[],
                                               ${logs.map((l) => JSON.stringify(l.payload))}::text[]) AS t(n, b, h, i, k, p)
        ON CONFLICT DO NOTHING`;
    });
  }

  async commitRange(c: RangeCommit): Promise<void> {
    const id = this.streamId;
    await this.fenced(async (tx) => {
      if (c.vaults.length) {
        await tx.execute`
          INSERT INTO "IndexerVault" ("streamId", address, "blockNumber")
          SELECT ${id}, a, n FROM unnest(${c.vaults.map((v) => v.address)}::text[], ${c.vaults.map((v) => v.blockNumber)}::bigint[]) AS t(a, n)
          ON CONFLICT ("streamId", address) DO NOTHING`;
      }
      if (c.blocks.length) {
        await tx.execute`
          INSERT INTO "IndexerBlock" ("streamId", "blockNumber", "blockHash", "parentHash")
          SELECT ${id}, n, h, p FROM unnest(${c.blocks.map((b) => b.number)}::bigint[], ${c.blocks.map((b) => b.hash)}::text[],
                                            ${c.blocks.map((b) => b.parentHash)}::text[]) AS t(n, h, p)
          ON CONFLICT ("streamId", "blockNumber") DO UPDATE SET "blockHash" = excluded."blockHash", "parentHash" = excluded."parentHash"`;
      }
      // Not the range's sent logs: recordSends committed them before they were sent.
      await this.prune(tx, c.finalBelow, c.logsBelow);
      await tx.execute`
        UPDATE "IndexerCursor" SET "blockNumber" = ${c.toBlock}, "blockHash" = ${c.toHash}, "updatedAt" = now()
         WHERE "streamId" = ${id}`;
    });
  }

  /**
   * Logs sent from blocks after `block`, in position order: what a rewind to `block` retracts
   * (each with the hash of its block: a removal names the dropped block).
   */
  async sentLogsAfter(block: number): Promise<SentLog[]> {
    const rows = await this.db.sql.query<{ n: string; blockHash: string; txHash: string; logIndex: string; kind: string; payload: string }>`
      SELECT "blockNumber"::text AS n, "blockHash", "txHash", "logIndex"::text, kind, payload FROM "IndexerSentLog"
       WHERE "streamId" = ${this.streamId} AND "blockNumber" > ${block} ORDER BY "blockNumber", "logIndex"`;
    return rows.map((r) => ({
      blockNumber: Number(r.n),
      blockHash: r.blockHash,
      txHash: r.txHash,
      logIndex: Number(r.logIndex),
      kind: r.kind,
      // A row written before contract version 2 has no blockHash in its payload: the row's own.
      payload: { blockHash: r.blockHash, ...(JSON.parse(r.payload) as Record<string, unknown>) },
    }));
  }

  /** Forget everything after `block` and put the cursor there (after the removals were sent). */
  async rewind(block: number, hash: string | null): Promise<void> {
    const id = this.streamId;
    await this.fenced(async (tx) => {
      await tx.execute`DELETE FROM "IndexerSentLog" WHERE "streamId" = ${id} AND "blockNumber" > ${block}`;
      await tx.execute`DELETE FROM "IndexerBlock" WHERE "streamId" = ${id} AND "blockNumber" > ${block}`;
      await tx.execute`DELETE FROM "IndexerVault" WHERE "streamId" = ${id} AND "blockNumber" > ${block}`;
      await tx.execute`
        UPDATE "IndexerCursor" SET "blockNumber" = ${block}, "blockHash" = ${hash}, "updatedAt" = now() WHERE "streamId" = ${id}`;
    });
  }

  private async prune(tx: Tx, finalBelow: number, logsBelow: number): Promise<void> {
    await tx.execute`DELETE FROM "IndexerBlock" WHERE "streamId" = ${this.streamId} AND "blockNumber" < ${finalBelow}`;
    await tx.execute`DELETE FROM "IndexerSentLog" WHERE "streamId" = ${this.streamId} AND "blockNumber" < ${logsBelow}`;
  }
}
