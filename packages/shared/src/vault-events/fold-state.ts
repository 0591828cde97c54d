import type { Tx } from '../platform';
import type { PublishedMetrics, SnapshotLock } from './lock-protocol';

// The snapshot's side of lock-protocol.ts's rules 2 and 3: where a vault's fold stands
// (VaultMetricsState), where it resumes after a writer marked a recompute-from position (the
// newest VaultCheckpoint before it), and what a fold writes when it ends. Every function takes
// the SnapshotLock, so none can be called without the vault's exclusive lock held.

/**
 * Where a fold stands: the last folded position (blockNumber, logIndex, blockHash, source: 0 a
 * follower event, 1 a trade, which makes it unique even where sibling blocks' copies of one
 * transaction sit at one (blockNumber, logIndex)) and the share-price state there.
 */
export interface FoldPoint {
  blockNumber: bigint;
  logIndex: bigint;
  blockHash: string;
  source: number;
  equity: bigint;
  sharePrice: number;
  peak: number;
  maxDrawdown: number;
  eventsFolded: bigint;
}

/** Before any event: the position sorts before every event's. */
export const ORIGIN: Readonly<FoldPoint> = Object.freeze({
  blockNumber: -1n, logIndex: -1n, blockHash: '', source: 0, equity: 0n, sharePrice: 1, peak: 1, maxDrawdown: 0, eventsFolded: 0n,
});

/** A vault folded for the first time: the origin, as VaultMetricsState's column defaults spell it. */
const FIRST_STATE: Readonly<FoldPoint> = Object.freeze({ ...ORIGIN, source: 1 });

export interface FoldStart {
  point: FoldPoint;
  resumedFrom: 'state' | 'checkpoint' | 'origin';
}

type PointRow = Omit<FoldPoint, 'equity'> & { equity: string };

/**
 * Rule 3: where the fold resumes: the stored state (the origin for a vault without one), or, with
 * a recompute-from position set, the newest checkpoint before it (the origin if none), the later
 * checkpoints deleted. The state is read by a statement of its own after the one that took the
 * lock: a statement reads the snapshot taken when it started, so reading the state in the
 * statement that waited for the lock could miss a recompute-from position that a writer
 * committed during the wait. Read after the lock, it shows every writer that marked this vault,
 * and none can mark it until commit (they wait for the lock, rule 1). No state row is created
 * here: writers have nothing to mark before a first fold, and finishFold creates it.
 */
export async function startFold(tx: Tx, lock: SnapshotLock): Promise<FoldStart> {
  // The same statement deletes the vault's snapshot-due mark (lock-protocol.ts, rule 6): after the
  // lock, so it sees every mark of a writer this fold will see.
  const [row] = await tx.query<PointRow & { recomputeFromBlock: string | null; recomputeFromLogIndex: string | null }>`
    WITH due AS (DELETE FROM "VaultSnapshotDue" WHERE "vaultId" = ${lock.vaultId}::int)
    SELECT "blockNumber", "logIndex", "blockHash", "source", "equity"::text AS equity, "sharePrice", "peak", "maxDrawdown",
           "eventsFolded", "recomputeFromBlock", "recomputeFromLogIndex"
      FROM "VaultMetricsState" WHERE "vaultId" = ${lock.vaultId}::int`;
  if (!row) return { point: { ...FIRST_STATE }, resumedFrom: 'state' };
  if (row.recomputeFromBlock === null) return { point: fromRow(row), resumedFrom: 'state' };
  const cp = await resumeBefore(tx, lock.vaultId, row.recomputeFromBlock, row.recomputeFromLogIndex!);
  return cp ? { point: fromRow(cp), resumedFrom: 'checkpoint' } : { point: { ...ORIGIN }, resumedFrom: 'origin' };
}

/**
 * The newest checkpoint strictly before (b, l), and the others deleted, in one statement: the
 * read and the delete touch disjoint rows (before / at or after the position), so that the read
 * does not see the delete does not matter.
 */
async function resumeBefore(tx: Tx, vaultId: number, b: string, l: string): Promise<PointRow | undefined> {
  const [cp] = await tx.query<PointRow>`
    WITH dropped AS (
      DELETE FROM "VaultCheckpoint" WHERE "vaultId" = ${vaultId}::int AND ("blockNumber", "logIndex") >= (${b}::bigint, ${l}::bigint)
    )
    SELECT "blockNumber", "logIndex", "blockHash", "source", "equity"::text AS equity, "sharePrice", "peak", "maxDrawdown", "eventsFolded"
      FROM "VaultCheckpoint"
     WHERE "vaultId" = ${vaultId}::int AND ("blockNumber", "logIndex") < (${b}::bigint, ${l}::bigint)
     ORDER BY "blockNumber" DESC, "logIndex" DESC, "blockHash" DESC, "source" DESC LIMIT 1`;
  return cp;
}

/**
 * Rules 2 and 3, and the result: the checkpoints the fold passed (one every N events; all in one
 * statement, usually none), then the fold's new position with the recompute-from position
 * cleared and the metrics on the Vault row, in one statement (two tables; the fold is invisible
 * until commit either way). Checkpoints are written after startFold's statement, whose delete
 * they therefore see: one re-made at a deleted one's position is written, not skipped by ON
 * CONFLICT (the insert and the delete in one statement would skip it).
 */
export async function finishFold(tx: Tx, lock: SnapshotLock, s: FoldPoint, checkpoints: FoldPoint[], metrics: PublishedMetrics): Promise<void> {
  const v = lock.vaultId;
  // Both statements sent at once (pipelined; in this order, which Postgres keeps): a caller may send
  // COMMIT behind them (Tx.commitWith).
  await Promise.all([checkpoints.length ? writeCheckpoints(tx, v, checkpoints) : undefined, tx.execute`
    WITH state AS (
      INSERT INTO "VaultMetricsState" ("vaultId", "blockNumber", "logIndex", "blockHash", "source", "equity", "sharePrice", "peak", "maxDrawdown", "eventsFolded")
      VALUES (${v}::int, ${String(s.blockNumber)}::bigint, ${String(s.logIndex)}::bigint, ${s.blockHash}, ${s.source}::int, ${s.equity.toString()}::numeric,
              ${s.sharePrice}::float8, ${s.peak}::float8, ${s.maxDrawdown}::float8, ${String(s.eventsFolded)}::bigint)
      ON CONFLICT ("vaultId") DO UPDATE
         SET "blockNumber" = EXCLUDED."blockNumber", "logIndex" = EXCLUDED."logIndex", "blockHash" = EXCLUDED."blockHash", "source" = EXCLUDED."source",
             "equity" = EXCLUDED."equity", "sharePrice" = EXCLUDED."sharePrice", "peak" = EXCLUDED."peak", "maxDrawdown" = EXCLUDED."maxDrawdown",
             "eventsFolded" = EXCLUDED."eventsFolded", "recomputeFromBlock" = NULL, "recomputeFromLogIndex" = NULL, "updatedAt" = now()
    )
    UPDATE "Vault" SET "tvl" = ${metrics.tvl}::numeric, "roi" = ${metrics.roi}::float8, "drawdown" = ${metrics.drawdown}::float8, "updatedAt" = now()
     WHERE id = ${v}::int`]);
}

/** Rule 3: checkpoints (one every N events), in one statement. */
async function writeCheckpoints(tx: Tx, vaultId: number, checkpoints: FoldPoint[]): Promise<void> {
  const col = <K extends keyof FoldPoint>(k: K) => checkpoints.map((c) => String(c[k]));
  await tx.execute`
    INSERT INTO "VaultCheckpoint" ("vaultId", "blockNumber", "logIndex", "blockHash", "source", "equity", "sharePrice", "peak", "maxDrawdown", "eventsFolded")
    SELECT ${vaultId}::int, * FROM unnest(${col('blockNumber')}::text[]::bigint[], ${col('logIndex')}::text[]::bigint[], ${col('blockHash')}::text[],
                                          ${col('source')}::text[]::int[], ${col('equity')}::text[]::numeric[], ${col('sharePrice')}::text[]::float8[],
                                          ${col('peak')}::text[]::float8[], ${col('maxDrawdown')}::text[]::float8[], ${col('eventsFolded')}::text[]::bigint[])
    ON CONFLICT DO NOTHING`;
}

function fromRow(r: PointRow): FoldPoint {
  return {
    blockNumber: BigInt(r.blockNumber),
    logIndex: BigInt(r.logIndex),
    blockHash: r.blockHash,
    source: Number(r.source),
    equity: BigInt(r.equity),
    sharePrice: r.sharePrice,
    peak: r.peak,
    maxDrawdown: r.maxDrawdown,
    eventsFolded: BigInt(r.eventsFolded),
  };
}
