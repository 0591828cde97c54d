import type { Tx } from '../../platform';
import type { FoldPoint, FoldStart } from '../fold-state';
import type { Position } from './read-events';
import type { LedgerEvent, SharePriceState } from './share-price';

// The vault series (docs/CONTRACT.md §9.1), maintained by the same fold as the Vault metrics:
// per bucket of chain time, the fold's state after the bucket's last event. An event's chain time
// is the greatest block timestamp among the vault's events up to it in position order (on a chain
// timestamps never decrease with the block; the running maximum keeps the buckets in position
// order whatever a producer sends). Beyond the share-price state the series needs the cumulative
// PnL, the follower count (followers whose balance, deposits minus withdrawals of their live
// events so far, is positive) and the current bucket: those are kept at each fold checkpoint
// (VaultSeriesCheckpoint) and in the last bucket's row, so the fold resumes the series from
// wherever it resumes the metrics. A follower's balance before the run is summed from the ledger
// when one of its events is folded (its own events only: flat in the vault's history).

export const DEFAULT_SERIES_BUCKET_SECONDS = 3600;

/** One VaultSeries row: the state at a bucket's close. */
export interface SeriesRow {
  bucketStart: number;
  sharePrice: number;
  equity: bigint;
  cumulativePnl: bigint;
  maxDrawdown: number;
  followerCount: number;
  eventsFolded: number;
}

interface SeriesCheckpoint {
  eventsFolded: number;
  blockNumber: bigint;
  logIndex: bigint;
  bucketStart: number;
  cumulativePnl: bigint;
  followerCount: number;
}

/** What the fold hands the series about one event, besides the ledger event. */
export interface SeriesEventRow {
  blockTimestamp: string;
  /** A follower event's follower; null for a trade. */
  userId: number | null;
}

const NO_BUCKET = -1;

export class SeriesFold {
  /** Buckets closed during this run, then the open one at finish. */
  private readonly rows: SeriesRow[] = [];
  private readonly checkpoints: SeriesCheckpoint[] = [];
  /** Balances (at the last folded event) of the followers seen this run. */
  private readonly balances = new Map<number, bigint>();
  private bucket: number;
  private cumulativePnl: bigint;
  private followerCount: number;
  private last: SeriesRow | undefined;

  private constructor(
    private readonly vaultId: number,
    private readonly bucketSeconds: number,
    /** Where this run resumed: follower balances before it are summed up to here. */
    private readonly from: Position,
    at: { bucketStart: number; cumulativePnl: bigint; followerCount: number },
    point: FoldPoint,
  ) {
    this.bucket = at.bucketStart;
    this.cumulativePnl = at.cumulativePnl;
    this.followerCount = at.followerCount;
    this.last = at.bucketStart === NO_BUCKET ? undefined : this.rowAt(point, Number(point.eventsFolded));
  }

  /**
   * The series at the fold's start, its rows and checkpoints after that point deleted (they are
   * written again); undefined when the series cannot resume there (no series part at that
   * checkpoint or state: folded by a worker without the series, or before its migration), in
   * which case the fold must start again from the origin.
   */
  static async start(tx: Tx, vaultId: number, start: FoldStart, bucketSeconds: number): Promise<SeriesFold | undefined> {
    const p = start.point;
    const origin = { bucketStart: NO_BUCKET, cumulativePnl: 0n, followerCount: 0 };
    if (start.resumedFrom === 'origin') {
      await tx.execute`
        WITH rows AS (DELETE FROM "VaultSeries" WHERE "vaultId" = ${vaultId}::int)
        DELETE FROM "VaultSeriesCheckpoint" WHERE "vaultId" = ${vaultId}::int`;
      return new SeriesFold(vaultId, bucketSeconds, p, origin, p);
    }
    if (p.eventsFolded === 0n) return new SeriesFold(vaultId, bucketSeconds, p, origin, p);
    const at = start.resumedFrom === 'state' ? await lastBucket(tx, vaultId, p) : await atCheckpoint(tx, vaultId, p);
    if (!at || at.bucketStart % bucketSeconds !== 0) return undefined;
    return new SeriesFold(vaultId, bucketSeconds, p, at, p);
  }

  /** The balances before this run of the page's followers not seen yet (one statement, none when all are known). */
  async preparePage(tx: Tx, page: SeriesEventRow[]): Promise<void> {
    const users = [...new Set(page.map((e) => e.userId).filter((u): u is number => u !== null && !this.balances.has(u)))];
    if (!users.length) return;
    for (const u of users) this.balances.set(u, 0n);
    if (this.from.blockNumber < 0n) return;
    const f = this.from;
    const rows = await tx.query<{ userId: number; balance: string }>`
      SELECT "userId", sum(CASE WHEN "action" = 'DEPOSIT' THEN "amount" ELSE -"amount" END)::text AS balance
        FROM "FollowerEvent"
       WHERE "vaultId" = ${this.vaultId}::int AND "userId" = ANY(${users}::int[]) AND NOT "removed"
         AND ("blockNumber", "logIndex", "blockHash", 0) <= (${String(f.blockNumber)}::bigint, ${String(f.logIndex)}::bigint, ${f.blockHash}, ${f.source}::int)
       GROUP BY "userId"`;
    for (const r of rows) this.balances.set(Number(r.userId), BigInt(r.balance));
  }

  /** One event folded: `s` is the share-price state after it, `eventsFolded` its count. */
  step(e: SeriesEventRow, ev: LedgerEvent, s: SharePriceState, eventsFolded: number): void {
    const t = Number(e.blockTimestamp);
    const b = t - (t % this.bucketSeconds);
    if (b > this.bucket) {
      if (this.last) this.rows.push(this.last);
      this.bucket = b;
    }
    if (ev.kind === 'TRADE') this.cumulativePnl += ev.pnl;
    else {
      const before = this.balances.get(e.userId!)!;
      const after = ev.kind === 'DEPOSIT' ? before + ev.amount : before - ev.amount;
      this.balances.set(e.userId!, after);
      this.followerCount += Number(after > 0n) - Number(before > 0n);
    }
    this.last = {
      bucketStart: this.bucket, sharePrice: s.sharePrice, equity: s.equity, cumulativePnl: this.cumulativePnl,
      maxDrawdown: s.maxDrawdown, followerCount: this.followerCount, eventsFolded,
    };
  }

  /** The fold pushed a checkpoint here (after the step of its event). */
  checkpoint(p: FoldPoint): void {
    this.checkpoints.push({
      eventsFolded: Number(p.eventsFolded), blockNumber: p.blockNumber, logIndex: p.logIndex,
      bucketStart: this.bucket, cumulativePnl: this.cumulativePnl, followerCount: this.followerCount,
    });
  }

  /** The buckets from the resume point on and the checkpoints, written; returns the number of series rows written. */
  async finish(tx: Tx): Promise<number> {
    const rows = this.last ? [...this.rows, this.last] : this.rows;
    // Sent at once, in this order (a caller may send COMMIT behind them: Tx.commitWith).
    await Promise.all([rows.length ? writeRows(tx, this.vaultId, rows) : undefined, this.checkpoints.length ? writeCheckpoints(tx, this.vaultId, this.checkpoints) : undefined]);
    return rows.length;
  }

  private rowAt(p: FoldPoint, eventsFolded: number): SeriesRow {
    return {
      bucketStart: this.bucket, sharePrice: p.sharePrice, equity: p.equity, cumulativePnl: this.cumulativePnl,
      maxDrawdown: p.maxDrawdown, followerCount: this.followerCount, eventsFolded,
    };
  }
}

interface AtRow {
  bucketStart: string;
  cumulativePnl: string;
  followerCount: number;
}
const fromAtRow = (r: AtRow | undefined) =>
  r && { bucketStart: Number(r.bucketStart), cumulativePnl: BigInt(r.cumulativePnl), followerCount: Number(r.followerCount) };

/**
 * Resumed from the stored state: the last bucket's row is the state there, if it was folded with
 * the series (a worker without it, during a rolling update, moves the state and not the rows: the
 * count, share price and equity must all match).
 */
async function lastBucket(tx: Tx, vaultId: number, p: FoldPoint) {
  const [row] = await tx.query<AtRow & { eventsFolded: string; sharePrice: number; equity: string }>`
    SELECT "bucketStart"::text AS "bucketStart", "cumulativePnl"::text AS "cumulativePnl", "followerCount", "eventsFolded"::text AS "eventsFolded",
           "sharePrice", ("cumulativePnl" + "netDeposits")::text AS equity
      FROM "VaultSeries" WHERE "vaultId" = ${vaultId}::int ORDER BY "bucketStart" DESC LIMIT 1`;
  const same = row && BigInt(row.eventsFolded) === p.eventsFolded && Object.is(row.sharePrice, p.sharePrice) && BigInt(row.equity) === p.equity;
  return same ? fromAtRow(row) : undefined;
}

/**
 * Resumed from a checkpoint: its series part, and the buckets after its bucket and the later
 * series checkpoints deleted (the checkpoint's own bucket is written again at its new close).
 */
async function atCheckpoint(tx: Tx, vaultId: number, p: FoldPoint) {
  const [row] = await tx.query<AtRow>`
    WITH cp AS (
      SELECT "bucketStart", "cumulativePnl", "followerCount" FROM "VaultSeriesCheckpoint"
       WHERE "vaultId" = ${vaultId}::int AND "eventsFolded" = ${String(p.eventsFolded)}::bigint
         AND "blockNumber" = ${String(p.blockNumber)}::bigint AND "logIndex" = ${String(p.logIndex)}::bigint
    ), rows AS (
      DELETE FROM "VaultSeries" WHERE "vaultId" = ${vaultId}::int AND "bucketStart" > (SELECT "bucketStart" FROM cp)
    ), cps AS (
      DELETE FROM "VaultSeriesCheckpoint" WHERE "vaultId" = ${vaultId}::int AND "eventsFolded" > ${String(p.eventsFolded)}::bigint
    )
    SELECT "bucketStart"::text AS "bucketStart", "cumulativePnl"::text AS "cumulativePnl", "followerCount" FROM cp`;
  return fromAtRow(row);
}

async function writeRows(tx: Tx, vaultId: number, rows: SeriesRow[]): Promise<void> {
  const col = (f: (r: SeriesRow) => unknown) => rows.map((r) => String(f(r)));
  await tx.execute`
    INSERT INTO "VaultSeries" ("vaultId", "bucketStart", "sharePrice", "tvl", "cumulativePnl", "netDeposits", "maxDrawdown", "followerCount", "eventsFolded")
    SELECT ${vaultId}::int, * FROM unnest(
      ${col((r) => r.bucketStart)}::text[]::bigint[], ${col((r) => r.sharePrice)}::text[]::float8[],
      ${col((r) => (r.equity > 0n ? r.equity : 0n))}::text[]::numeric[], ${col((r) => r.cumulativePnl)}::text[]::numeric[],
      ${col((r) => r.equity - r.cumulativePnl)}::text[]::numeric[], ${col((r) => r.maxDrawdown)}::text[]::float8[],
      ${col((r) => r.followerCount)}::text[]::int[], ${col((r) => r.eventsFolded)}::text[]::bigint[])
    ON CONFLICT ("vaultId", "bucketStart") DO UPDATE
       SET "sharePrice" = EXCLUDED."sharePrice", "tvl" = EXCLUDED."tvl", "cumulativePnl" = EXCLUDED."cumulativePnl",
           "netDeposits" = EXCLUDED."netDeposits", "maxDrawdown" = EXCLUDED."maxDrawdown",
           "followerCount" = EXCLUDED."followerCount", "eventsFolded" = EXCLUDED."eventsFolded"`;
}

async function writeCheckpoints(tx: Tx, vaultId: number, cps: SeriesCheckpoint[]): Promise<void> {
  const col = (f: (c: SeriesCheckpoint) => unknown) => cps.map((c) => String(f(c)));
  await tx.execute`
    INSERT INTO "VaultSeriesCheckpoint" ("vaultId", "eventsFolded", "blockNumber", "logIndex", "bucketStart", "cumulativePnl", "followerCount")
    SELECT ${vaultId}::int, * FROM unnest(
      ${col((c) => c.eventsFolded)}::text[]::bigint[], ${col((c) => c.blockNumber)}::text[]::bigint[], ${col((c) => c.logIndex)}::text[]::bigint[],
      ${col((c) => c.bucketStart)}::text[]::bigint[], ${col((c) => c.cumulativePnl)}::text[]::numeric[], ${col((c) => c.followerCount)}::text[]::int[])
    ON CONFLICT ("vaultId", "eventsFolded") DO UPDATE
       SET "blockNumber" = EXCLUDED."blockNumber", "logIndex" = EXCLUDED."logIndex", "bucketStart" = EXCLUDED."bucketStart",
           "cumulativePnl" = EXCLUDED."cumulativePnl", "followerCount" = EXCLUDED."followerCount"`;
}
