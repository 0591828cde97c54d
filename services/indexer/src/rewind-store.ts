import type { Database } from '@vaults/shared';

// What `rewind` reads from the indexer's tables, page by page: the sent logs above the target
// in position order (keyset paging, so a long retention never sits in memory at once), and the
// block hashes the indexer stored (sent logs, recent blocks, the cursor) around a height.

export interface StoredHash {
  number: number;
  hash: string;
}

export interface PagePosition {
  blockNumber: number;
  blockHash: string;
  logIndex: number;
}

/** A sent log as a rewind needs it: where it was, and what to send again as its removal. */
export interface SentRow extends PagePosition {
  kind: string;
  payload: Record<string, unknown>;
}

export class RewindReader {
  constructor(
    private readonly db: Database,
    readonly streamId: string,
  ) {}

  /** Up to `limit` sent logs of blocks above `block`, after `after` (exclusive), in position order. */
  async sentLogsPage(block: number, after: PagePosition | null, limit: number): Promise<SentRow[]> {
    const a = after ?? { blockNumber: block, blockHash: '', logIndex: -1 };
    const rows = await this.db.sql.query<{ n: string; h: string; i: string; kind: string; payload: string }>`
      SELECT "blockNumber"::text AS n, "blockHash" AS h, "logIndex"::text AS i, kind, payload FROM "IndexerSentLog"
       WHERE "streamId" = ${this.streamId} AND "blockNumber" > ${block}
         AND ("blockNumber", "blockHash", "logIndex") > (${a.blockNumber}::bigint, ${a.blockHash}::text, ${a.logIndex}::bigint)
       ORDER BY "blockNumber", "blockHash", "logIndex" LIMIT ${limit}`;
    return rows.map((r) => ({ blockNumber: Number(r.n), blockHash: r.h, logIndex: Number(r.i), kind: r.kind, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  }

  /** The lowest stored block hash at or above `block`, or null. */
  lowestAtOrAbove(block: number): Promise<StoredHash | null> {
    return this.one(block, '>=');
  }

  /** The highest stored block hash at or below `block`, or null. */
  highestAtOrBelow(block: number): Promise<StoredHash | null> {
    return this.one(block, '<=');
  }

  private async one(block: number, op: '>=' | '<='): Promise<StoredHash | null> {
    const id = this.streamId;
    // Each side reads one row through its table's (streamId, blockNumber) key, then the best of three.
    const rows =
      op === '>='
        ? await this.db.sql.query<{ n: string; h: string }>`
            SELECT n::text, h FROM (
              (SELECT "blockNumber" AS n, "blockHash" AS h FROM "IndexerSentLog" WHERE "streamId" = ${id} AND "blockNumber" >= ${block} ORDER BY "blockNumber" LIMIT 1)
              UNION ALL (SELECT "blockNumber", "blockHash" FROM "IndexerBlock" WHERE "streamId" = ${id} AND "blockNumber" >= ${block} ORDER BY "blockNumber" LIMIT 1)
              UNION ALL (SELECT "blockNumber", "blockHash" FROM "IndexerCursor" WHERE "streamId" = ${id} AND "blockNumber" >= ${block} AND "blockHash" IS NOT NULL)
            ) t ORDER BY n LIMIT 1`
        : await this.db.sql.query<{ n: string; h: string }>`
            SELECT n::text, h FROM (
              (SELECT "blockNumber" AS n, "blockHash" AS h FROM "IndexerSentLog" WHERE "streamId" = ${id} AND "blockNumber" <= ${block} ORDER BY "blockNumber" DESC LIMIT 1)
              UNION ALL (SELECT "blockNumber", "blockHash" FROM "IndexerBlock" WHERE "streamId" = ${id} AND "blockNumber" <= ${block} ORDER BY "blockNumber" DESC LIMIT 1)
              UNION ALL (SELECT "blockNumber", "blockHash" FROM "IndexerCursor" WHERE "streamId" = ${id} AND "blockNumber" <= ${block} AND "blockHash" IS NOT NULL)
            ) t ORDER BY n DESC LIMIT 1`;
    const r = rows[0];
    return r ? { number: Number(r.n), hash: r.h } : null;
  }
}
