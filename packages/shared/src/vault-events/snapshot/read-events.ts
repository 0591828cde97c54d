import type { Tx } from '../../platform';
import type { FoldPoint } from '../fold-state';
import type { LedgerEvent } from './share-price';

// The snapshot's read of a vault's events: its live trades and follower events after a position,
// a page at a time, in position order.

/** A position within one vault: unique by construction (see FoldPoint). */
export type Position = Pick<FoldPoint, 'blockNumber' | 'logIndex' | 'blockHash' | 'source'>;

export interface EventRow {
  kind: 'TRADE' | 'DEPOSIT' | 'WITHDRAW';
  value: string;
  blockNumber: string;
  logIndex: string;
  blockHash: string;
  source: number;
  blockTimestamp: string;
  /** A follower event's follower (the series' follower count); null for a trade. */
  userId: number | null;
}

/**
 * The next page of the vault's live events after a position, in (block, logIndex, blockHash,
 * source) order. A Trade row recorded under contract version 1 whose block is not known yet
 * (NULL) sorts under its ledger row's marker, 'v1:' || txHash (ledger.ts).
 */
export function readEventsAfter(tx: Tx, vaultId: number, p: Position, pageSize: number): Promise<EventRow[]> {
  const b = String(p.blockNumber);
  const l = String(p.logIndex);
  // The (blockNumber, logIndex) >= bound lets each branch use its (vaultId, blockNumber,
  // logIndex) index; the full key decides among rows at the bound.
  return tx.query<EventRow>`
    SELECT * FROM (
      SELECT 'TRADE' AS kind, "pnl"::text AS value, "blockNumber", "logIndex", COALESCE("blockHash", 'v1:' || "txHash") AS "blockHash", 1 AS source,
             "blockTimestamp", NULL::int AS "userId"
        FROM "Trade"
       WHERE "vaultId" = ${vaultId}::int AND ("blockNumber", "logIndex") >= (${b}::bigint, ${l}::bigint)
         AND ("blockNumber", "logIndex", COALESCE("blockHash", 'v1:' || "txHash"), 1) > (${b}::bigint, ${l}::bigint, ${p.blockHash}, ${p.source}::int)
      UNION ALL
      SELECT "action"::text AS kind, "amount"::text AS value, "blockNumber", "logIndex", "blockHash", 0 AS source, "blockTimestamp", "userId"
        FROM "FollowerEvent"
       WHERE "vaultId" = ${vaultId}::int AND NOT "removed" AND ("blockNumber", "logIndex") >= (${b}::bigint, ${l}::bigint)
         AND ("blockNumber", "logIndex", "blockHash", 0) > (${b}::bigint, ${l}::bigint, ${p.blockHash}, ${p.source}::int)
    ) AS events
    ORDER BY "blockNumber", "logIndex", "blockHash", source
    LIMIT ${pageSize}::int`;
}

export function toLedgerEvent(e: EventRow): LedgerEvent {
  return e.kind === 'TRADE' ? { kind: 'TRADE', pnl: BigInt(e.value) } : { kind: e.kind, amount: BigInt(e.value) };
}
