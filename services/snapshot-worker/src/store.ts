import {
  applyEvent,
  INITIAL_STATE,
  METRICS_LOCK_NAMESPACE,
  metricsOf,
  type LedgerEvent,
  type SharePriceState,
  type Tx,
} from '@vaults/shared';

// The snapshot: fold a vault's events (non-removed trades and follower events, in position
// order) into TVL, ROI and drawdown (docs/CONTRACT.md section 5). Incremental: it resumes from the
// position it last folded to. When a writer changed an event at or before that position, it
// left `recomputeFrom`, and the fold resumes from the newest checkpoint before it instead.

/** Events read per statement (a parameter of recomputeSnapshot, so tests can make pages small). */
export const SNAPSHOT_PAGE_SIZE = 5000;

/**
 * Where the fold stands. Unique by construction: within one vault (one chain) the identity
 * (txHash, logIndex) is unique per ledger, and `source` tells the ledgers apart (0 a follower
 * event, 1 a trade). (blockNumber, logIndex, txHash) alone is not: a trade and a follower event
 * may share it, and a page ending between them would skip the second.
 */
interface Position {
  blockNumber: bigint;
  logIndex: bigint;
  txHash: string;
  source: number;
}

interface FoldState extends SharePriceState, Position {
  eventsFolded: bigint;
}

const ORIGIN: FoldState = { ...INITIAL_STATE, blockNumber: -1n, logIndex: -1n, txHash: '', source: 0, eventsFolded: 0n };

export interface SnapshotResult {
  eventsFolded: number;
  /** Events read this run: small when only new events arrived. */
  eventsRead: number;
  resumedFrom: 'state' | 'checkpoint' | 'origin';
  tvl: string;
  roi: number;
  drawdown: number;
}

type StateRow = {
  blockNumber: bigint;
  logIndex: bigint;
  txHash: string;
  source: number;
  equity: string;
  sharePrice: number;
  peak: number;
  maxDrawdown: number;
  eventsFolded: bigint;
};

export async function recomputeSnapshot(tx: Tx, vaultId: number, checkpointEvery: number, pageSize = SNAPSHOT_PAGE_SIZE): Promise<SnapshotResult> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(${METRICS_LOCK_NAMESPACE}::int, ${vaultId}::int)::text AS locked`;
  await tx.$executeRaw`INSERT INTO "VaultMetricsState" ("vaultId") VALUES (${vaultId}::int) ON CONFLICT DO NOTHING`;
  const [row] = await tx.$queryRaw<(StateRow & { recomputeFromBlock: bigint | null; recomputeFromLogIndex: bigint | null })[]>`
    SELECT "blockNumber", "logIndex", "txHash", "source", "equity"::text AS equity, "sharePrice", "peak", "maxDrawdown",
           "eventsFolded", "recomputeFromBlock", "recomputeFromLogIndex"
      FROM "VaultMetricsState" WHERE "vaultId" = ${vaultId}::int`;

  let state: FoldState;
  let resumedFrom: SnapshotResult['resumedFrom'] = 'state';
  if (row!.recomputeFromBlock !== null) {
    const b = String(row!.recomputeFromBlock);
    const l = String(row!.recomputeFromLogIndex);
    const [cp] = await tx.$queryRaw<StateRow[]>`
      SELECT "blockNumber", "logIndex", "txHash", "source", "equity"::text AS equity, "sharePrice", "peak", "maxDrawdown", "eventsFolded"
        FROM "VaultCheckpoint"
       WHERE "vaultId" = ${vaultId}::int AND ("blockNumber", "logIndex") < (${b}::bigint, ${l}::bigint)
       ORDER BY "blockNumber" DESC, "logIndex" DESC, "txHash" DESC, "source" DESC LIMIT 1`;
    await tx.$executeRaw`
      DELETE FROM "VaultCheckpoint"
       WHERE "vaultId" = ${vaultId}::int AND ("blockNumber", "logIndex") >= (${b}::bigint, ${l}::bigint)`;
    state = cp ? fromRow(cp) : { ...ORIGIN };
    resumedFrom = cp ? 'checkpoint' : 'origin';
  } else {
    state = fromRow(row!);
  }

  let eventsRead = 0;
  for (;;) {
    const page = await readEventsAfter(tx, vaultId, state, pageSize);
    for (const e of page) {
      const position = { blockNumber: e.blockNumber, logIndex: e.logIndex, txHash: e.txHash, source: e.source };
      state = { ...applyEvent(state, toLedgerEvent(e)), ...position, eventsFolded: state.eventsFolded + 1n };
      if (state.eventsFolded % BigInt(checkpointEvery) === 0n) await writeCheckpoint(tx, vaultId, state);
    }
    eventsRead += page.length;
    if (page.length < pageSize) break;
  }

  const m = metricsOf(state);
  await tx.$executeRaw`
    UPDATE "VaultMetricsState"
       SET "blockNumber" = ${String(state.blockNumber)}::bigint, "logIndex" = ${String(state.logIndex)}::bigint,
           "txHash" = ${state.txHash}, "source" = ${state.source}::int, "equity" = ${state.equity.toString()}::numeric, "sharePrice" = ${state.sharePrice}::float8,
           "peak" = ${state.peak}::float8, "maxDrawdown" = ${state.maxDrawdown}::float8,
           "eventsFolded" = ${String(state.eventsFolded)}::bigint,
           "recomputeFromBlock" = NULL, "recomputeFromLogIndex" = NULL, "updatedAt" = now()
     WHERE "vaultId" = ${vaultId}::int`;
  await tx.$executeRaw`
    UPDATE "Vault" SET "tvl" = ${m.tvl.toString()}::numeric, "roi" = ${m.roi}::float8, "drawdown" = ${m.drawdown}::float8,
                       "updatedAt" = now()
     WHERE id = ${vaultId}::int`;
  return { eventsFolded: Number(state.eventsFolded), eventsRead, resumedFrom, tvl: m.tvl.toString(), roi: m.roi, drawdown: m.drawdown };
}

interface EventRow extends Position {
  kind: 'TRADE' | 'DEPOSIT' | 'WITHDRAW';
  value: string;
}

/** The next page of the vault's live events after a position, in (block, logIndex, txHash, source) order. */
function readEventsAfter(tx: Tx, vaultId: number, p: Position, pageSize: number): Promise<EventRow[]> {
  const b = String(p.blockNumber);
  const l = String(p.logIndex);
  // The (blockNumber, logIndex) >= bound lets each branch use its (vaultId, blockNumber,
  // logIndex) index; the full key decides among rows at the bound.
  return tx.$queryRaw<EventRow[]>`
    SELECT * FROM (
      SELECT 'TRADE' AS kind, "pnl"::text AS value, "blockNumber", "logIndex", "txHash", 1 AS source
        FROM "Trade"
       WHERE "vaultId" = ${vaultId}::int AND ("blockNumber", "logIndex") >= (${b}::bigint, ${l}::bigint)
         AND ("blockNumber", "logIndex", "txHash", 1) > (${b}::bigint, ${l}::bigint, ${p.txHash}, ${p.source}::int)
      UNION ALL
      SELECT "action"::text AS kind, "amount"::text AS value, "blockNumber", "logIndex", "txHash", 0 AS source
        FROM "FollowerEvent"
       WHERE "vaultId" = ${vaultId}::int AND NOT "removed" AND ("blockNumber", "logIndex") >= (${b}::bigint, ${l}::bigint)
         AND ("blockNumber", "logIndex", "txHash", 0) > (${b}::bigint, ${l}::bigint, ${p.txHash}, ${p.source}::int)
    ) AS events
    ORDER BY "blockNumber", "logIndex", "txHash", source
    LIMIT ${pageSize}::int`;
}

function toLedgerEvent(e: EventRow): LedgerEvent {
  return e.kind === 'TRADE' ? { kind: 'TRADE', pnl: BigInt(e.value) } : { kind: e.kind, amount: BigInt(e.value) };
}

function fromRow(r: StateRow): FoldState {
  return {
    blockNumber: BigInt(r.blockNumber),
    logIndex: BigInt(r.logIndex),
    txHash: r.txHash,
    source: Number(r.source),
    equity: BigInt(r.equity),
    sharePrice: r.sharePrice,
    peak: r.peak,
    maxDrawdown: r.maxDrawdown,
    eventsFolded: BigInt(r.eventsFolded),
  };
}

async function writeCheckpoint(tx: Tx, vaultId: number, s: FoldState): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "VaultCheckpoint" ("vaultId", "blockNumber", "logIndex", "txHash", "source", "equity", "sharePrice", "peak", "maxDrawdown", "eventsFolded")
    VALUES (${vaultId}::int, ${String(s.blockNumber)}::bigint, ${String(s.logIndex)}::bigint, ${s.txHash}, ${s.source}::int,
            ${s.equity.toString()}::numeric, ${s.sharePrice}::float8, ${s.peak}::float8, ${s.maxDrawdown}::float8,
            ${String(s.eventsFolded)}::bigint)
    ON CONFLICT DO NOTHING`;
}
