import { finishFold, startFold, writeCheckpoint, type FoldPoint, type FoldStart, type Tx } from '@vaults/shared';
import { applyEvent, metricsOf, type LedgerEvent } from './share-price';

// The snapshot: fold a vault's events (non-removed trades and follower events, in position
// order) into TVL, ROI and drawdown (docs/CONTRACT.md §9 rule 5). Incremental: it resumes
// where startFold says (the position it last folded to, or a checkpoint before an event that a
// writer changed there: the lock protocol, packages/shared/src/vault-events/lock-protocol.ts).

/** Events read per statement (a parameter of advanceSnapshot, so tests can make pages small). */
export const SNAPSHOT_PAGE_SIZE = 5000;

/** A position within one vault: unique by construction (see FoldPoint). */
type Position = Pick<FoldPoint, 'blockNumber' | 'logIndex' | 'txHash' | 'source'>;

export interface SnapshotResult {
  eventsFolded: number;
  /** Events read this run: small when only new events arrived. */
  eventsRead: number;
  resumedFrom: FoldStart['resumedFrom'];
  tvl: string;
  roi: number;
  drawdown: number;
}

export async function advanceSnapshot(tx: Tx, vaultId: number, checkpointEvery: number, pageSize = SNAPSHOT_PAGE_SIZE): Promise<SnapshotResult> {
  const start = await startFold(tx, vaultId);
  let state: FoldPoint = start.point;
  let eventsRead = 0;
  for (;;) {
    const page = await readEventsAfter(tx, vaultId, state, pageSize);
    for (const e of page) {
      const position = { blockNumber: BigInt(e.blockNumber), logIndex: BigInt(e.logIndex), txHash: e.txHash, source: Number(e.source) };
      state = { ...applyEvent(state, toLedgerEvent(e)), ...position, eventsFolded: state.eventsFolded + 1n };
      if (state.eventsFolded % BigInt(checkpointEvery) === 0n) await writeCheckpoint(tx, vaultId, state);
    }
    eventsRead += page.length;
    if (page.length < pageSize) break;
  }
  await finishFold(tx, vaultId, state);
  const m = metricsOf(state);
  await tx.execute`
    UPDATE "Vault" SET "tvl" = ${m.tvl.toString()}::numeric, "roi" = ${m.roi}::float8, "drawdown" = ${m.drawdown}::float8,
                       "updatedAt" = now()
     WHERE id = ${vaultId}::int`;
  return { eventsFolded: Number(state.eventsFolded), eventsRead, resumedFrom: start.resumedFrom, tvl: m.tvl.toString(), roi: m.roi, drawdown: m.drawdown };
}

interface EventRow {
  kind: 'TRADE' | 'DEPOSIT' | 'WITHDRAW';
  value: string;
  blockNumber: string;
  logIndex: string;
  txHash: string;
  source: number;
}

/** The next page of the vault's live events after a position, in (block, logIndex, txHash, source) order. */
function readEventsAfter(tx: Tx, vaultId: number, p: Position, pageSize: number): Promise<EventRow[]> {
  const b = String(p.blockNumber);
  const l = String(p.logIndex);
  // The (blockNumber, logIndex) >= bound lets each branch use its (vaultId, blockNumber,
  // logIndex) index; the full key decides among rows at the bound.
  return tx.query<EventRow>`
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
