import type { Tx } from '../../platform';
import { ORIGIN, finishFold, startFold, type FoldPoint, type FoldStart } from '../fold-state';
import {
  LOCK_BUSY, lockVaultForSnapshot, lockVaultForSnapshotByAddress, tryLockVaultForSnapshotByAddress, type PublishedMetrics, type SnapshotLock,
} from '../lock-protocol';
import { readEventsAfter, toLedgerEvent, type EventRow } from './read-events';
import { DEFAULT_SERIES_BUCKET_SECONDS, SeriesFold } from './series';
import { applyEvent, metricsOf, type SharePriceState } from './share-price';

// The snapshot: fold a vault's events (non-removed trades and follower events, in position
// order) into TVL, ROI and drawdown (docs/CONTRACT.md §9 rule 5). Incremental: it resumes
// where startFold says (the position it last folded to, or a checkpoint before an event that a
// writer changed there: the lock protocol, packages/shared/src/vault-events/lock-protocol.ts).
// Statements: the lock (with the vault's look-up), startFold (the state; and the checkpoint to
// resume from, on a recompute), the event pages, and finishFold (any checkpoints; the state and
// the Vault row in one; COMMIT sent with them: the run commits here), which a run that found
// nothing to change leaves out. The same fold
// keeps the vault's series (series.ts): its resume point (one statement, sent with the first
// page), the balances before the run of the followers a page names (one per such page) and the
// buckets from the resume point on (one, with any series checkpoints two, sent with finishFold's).

/** Events read per statement (a parameter of advanceSnapshot, so tests can make pages small). */
export const SNAPSHOT_PAGE_SIZE = 5000;

export interface SnapshotResult {
  eventsFolded: number;
  /** Events read this run: small when only new events arrived. */
  eventsRead: number;
  resumedFrom: FoldStart['resumedFrom'];
  /** False when nothing changed: no new event, no recompute, the Vault row already right; nothing was written. */
  wrote: boolean;
  /** VaultSeries rows written (the buckets from the resume point on). */
  seriesRowsWritten: number;
  tvl: string;
  roi: number;
  drawdown: number;
}

type VaultSnapshot = SnapshotResult & { vaultId: number };

/** How a run takes the lock and how wide the series buckets are. */
export interface SnapshotRunOptions {
  /** false: try the lock and return LOCK_BUSY when writers hold it (rule 5). */
  wait?: boolean;
  /** With `wait: false`: how long to keep trying (ms; 0: one try) before LOCK_BUSY (rule 5). */
  pollMs?: number;
  bucketSeconds?: number;
}

/**
 * The snapshot worker's run: the vault by address (look-up and lock in one statement); undefined
 * when unknown. `wait: false` tries the lock (for up to `pollMs`) and returns LOCK_BUSY when it
 * stayed held (rule 5).
 */
export function snapshotVault(tx: Tx, chainId: number, vaultAddress: string, checkpointEvery: number, opts?: SnapshotRunOptions & { wait?: true }): Promise<VaultSnapshot | undefined>;
export function snapshotVault(tx: Tx, chainId: number, vaultAddress: string, checkpointEvery: number, opts: SnapshotRunOptions): Promise<VaultSnapshot | typeof LOCK_BUSY | undefined>;
export async function snapshotVault(
  tx: Tx, chainId: number, vaultAddress: string, checkpointEvery: number, { wait = true, pollMs = 0, bucketSeconds = DEFAULT_SERIES_BUCKET_SECONDS }: SnapshotRunOptions = {},
): Promise<VaultSnapshot | typeof LOCK_BUSY | undefined> {
  const lock = wait ? await lockVaultForSnapshotByAddress(tx, chainId, vaultAddress) : await tryLockVaultForSnapshotByAddress(tx, chainId, vaultAddress, pollMs);
  if (lock === LOCK_BUSY) return lock;
  return lock && { vaultId: lock.vaultId, ...(await foldLocked(tx, lock, checkpointEvery, SNAPSHOT_PAGE_SIZE, bucketSeconds)) };
}

/** The same run for a vault id (tests, bench). */
export async function advanceSnapshot(
  tx: Tx, vaultId: number, checkpointEvery: number, pageSize = SNAPSHOT_PAGE_SIZE, bucketSeconds = DEFAULT_SERIES_BUCKET_SECONDS,
): Promise<SnapshotResult> {
  return foldLocked(tx, await lockVaultForSnapshot(tx, vaultId), checkpointEvery, pageSize, bucketSeconds);
}

async function foldLocked(tx: Tx, lock: SnapshotLock, checkpointEvery: number, pageSize: number, bucketSeconds: number): Promise<SnapshotResult> {
  let start = await startFold(tx, lock);
  let series: SeriesFold | undefined;
  const checkpoints: FoldPoint[] = [];
  let state: FoldPoint = start.point;
  let eventsRead = 0;
  for (;;) {
    // The series' resume point is read with the first page, pipelined (one round trip for both);
    // a run that resumed from the state and finds nothing new does not use it.
    const [page, started] = await Promise.all([
      readEventsAfter(tx, lock.vaultId, state, pageSize),
      series ? series : SeriesFold.start(tx, lock.vaultId, start, bucketSeconds),
    ]);
    if (!series && (page.length || start.resumedFrom !== 'state')) {
      series = started;
      if (!series) {
        // No series where the metrics resume (folded without it): both start again from the origin.
        start = { point: { ...ORIGIN }, resumedFrom: 'origin' };
        state = start.point;
        series = (await SeriesFold.start(tx, lock.vaultId, start, bucketSeconds))!;
        continue;
      }
    }
    if (page.length) {
      await series!.preparePage(tx, page);
      state = foldPage(state, page, checkpointEvery, checkpoints, series!);
    }
    eventsRead += page.length;
    if (page.length < pageSize) break;
  }
  const m = metricsOf(state);
  const metrics: PublishedMetrics = { tvl: m.tvl.toString(), roi: m.roi, drawdown: m.drawdown };
  // Resumed from the stored state (or a vault's first: the column defaults) and read nothing: the
  // state is what finishFold would write (no recompute-from position), and the Vault row is
  // checked, not assumed (a new vault's defaults are the metrics of no events).
  const unchanged = start.resumedFrom === 'state' && eventsRead === 0 && samePublished(lock.published, metrics);
  let seriesRowsWritten = 0;
  if (!unchanged) {
    // Independent statements (other tables): pipelined, with COMMIT behind them: one round trip.
    [, seriesRowsWritten] = await tx.commitWith((t) => Promise.all([finishFold(t, lock, state, checkpoints, metrics), series ? series.finish(t) : 0]));
  }
  return { eventsFolded: Number(state.eventsFolded), eventsRead, resumedFrom: start.resumedFrom, wrote: !unchanged, seriesRowsWritten, ...metrics };
}

/**
 * The point after a page of events, with a checkpoint pushed at every multiple of `every` events
 * folded. Per event only the share-price state moves (a small object of its own, counted with a
 * number); positions are built where they are needed, at checkpoints and at the page's end. (A
 * whole FoldPoint rebuilt per event costs far more CPU: docs/BENCHMARK.md, "Why the code is as it is".)
 */
function foldPage(from: FoldPoint, page: EventRow[], every: number, checkpoints: FoldPoint[], series: SeriesFold): FoldPoint {
  let s: SharePriceState = { equity: from.equity, sharePrice: from.sharePrice, peak: from.peak, maxDrawdown: from.maxDrawdown };
  let folded = Number(from.eventsFolded);
  for (const e of page) {
    const ev = toLedgerEvent(e);
    s = applyEvent(s, ev);
    series.step(e, ev, s, ++folded);
    if (folded % every === 0) {
      const cp = pointAt(s, e, folded);
      checkpoints.push(cp);
      series.checkpoint(cp);
    }
  }
  return pointAt(s, page[page.length - 1]!, folded);
}

function pointAt(s: SharePriceState, e: EventRow, eventsFolded: number): FoldPoint {
  return {
    blockNumber: BigInt(e.blockNumber), logIndex: BigInt(e.logIndex), blockHash: e.blockHash, source: Number(e.source),
    equity: s.equity, sharePrice: s.sharePrice, peak: s.peak, maxDrawdown: s.maxDrawdown, eventsFolded: BigInt(eventsFolded),
  };
}

/**
 * Exactly the same values (Object.is: -0 is not 0). Postgres prints a float8 in its shortest
 * exact form, so what was written reads back bit for bit; a server that rounds its output
 * (extra_float_digits < 1) only makes this false, and the run writes as before.
 */
function samePublished(a: PublishedMetrics | undefined, b: PublishedMetrics): boolean {
  return a !== undefined && a.tvl === b.tvl && Object.is(a.roi, b.roi) && Object.is(a.drawdown, b.drawdown);
}
