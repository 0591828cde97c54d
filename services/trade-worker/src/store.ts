import {
  identityKey,
  invalidateMetricsFrom,
  recordVaultEvents,
  type Outcome,
  type RecordOutcome,
  type TradeExecuted,
  type Tx,
} from '@vaults/shared';

export type TradeOutcome = RecordOutcome;

/**
 * Records a batch of trades in the caller's transaction, exactly once per identity:
 * - the TradeEvent row of an identity is upserted first; its row lock serialises every copy of
 *   that event, and `removed` only ever turns true (removal is final, before or after the trade);
 * - a trade whose identity is not removed is inserted (a redelivery finds it and does nothing);
 * - a removed identity's trade row is deleted;
 * - a trade of an unknown vault writes nothing and reports 'vault-unknown' (retried later).
 */
export function recordTrades(tx: Tx, trades: TradeExecuted[]): Promise<Outcome<TradeOutcome>[]> {
  return recordVaultEvents(tx, trades, async (unique, vaultIdOf) => {
    const states = await tx.$queryRaw<{ k: string; removed: boolean }[]>`
      INSERT INTO "TradeEvent" ("chainId", "txHash", "logIndex", "removed")
      SELECT * FROM unnest(${unique.map((t) => String(t.chainId))}::text[]::bigint[],
                           ${unique.map((t) => t.txHash)}::text[],
                           ${unique.map((t) => String(t.logIndex))}::text[]::bigint[],
                           ${unique.map((t) => t.removed)}::boolean[])
      ON CONFLICT ("chainId", "txHash", "logIndex")
        DO UPDATE SET "removed" = "TradeEvent"."removed" OR EXCLUDED."removed"
      RETURNING "chainId"::text || ':' || "txHash" || ':' || "logIndex"::text AS k, "removed"`;
    const removed = new Set(states.filter((s) => s.removed).map((s) => s.k));

    const live = unique.filter((t) => !removed.has(identityKey(t)));
    const dead = unique.filter((t) => removed.has(identityKey(t)));

    const inserted = live.length
      ? await tx.$queryRaw<{ k: string; vaultId: number; blockNumber: bigint; logIndex: bigint }[]>`
          INSERT INTO "Trade" ("chainId", "txHash", "logIndex", "vaultId", "blockNumber", "blockTimestamp",
                               "tokenIn", "tokenOut", "amountIn", "amountOut", "pnl")
          SELECT * FROM unnest(${live.map((t) => String(t.chainId))}::text[]::bigint[],
                               ${live.map((t) => t.txHash)}::text[],
                               ${live.map((t) => String(t.logIndex))}::text[]::bigint[],
                               ${live.map((t) => String(vaultIdOf(t)))}::text[]::int[],
                               ${live.map((t) => String(t.blockNumber))}::text[]::bigint[],
                               ${live.map((t) => String(t.blockTimestamp))}::text[]::bigint[],
                               ${live.map((t) => t.tokenIn)}::text[],
                               ${live.map((t) => t.tokenOut)}::text[],
                               ${live.map((t) => t.amountIn)}::text[]::numeric[],
                               ${live.map((t) => t.amountOut)}::text[]::numeric[],
                               ${live.map((t) => t.pnl)}::text[]::numeric[])
          ON CONFLICT ("chainId", "txHash", "logIndex") DO NOTHING
          RETURNING "chainId"::text || ':' || "txHash" || ':' || "logIndex"::text AS k, "vaultId", "blockNumber", "logIndex"`
      : [];
    const deleted = dead.length
      ? await tx.$queryRaw<{ vaultId: number; blockNumber: bigint; logIndex: bigint }[]>`
          DELETE FROM "Trade" t
           USING unnest(${dead.map((d) => String(d.chainId))}::text[]::bigint[],
                        ${dead.map((d) => d.txHash)}::text[],
                        ${dead.map((d) => String(d.logIndex))}::text[]::bigint[]) AS r(c, h, l)
           WHERE t."chainId" = r.c AND t."txHash" = r.h AND t."logIndex" = r.l
          RETURNING t."vaultId", t."blockNumber", t."logIndex"`
      : [];
    await invalidateMetricsFrom(tx, [...inserted, ...deleted]);

    const insertedKeys = new Set(inserted.map((r) => r.k));
    const outcomes = new Map<string, TradeOutcome>();
    for (const t of live) outcomes.set(identityKey(t), insertedKeys.has(identityKey(t)) ? 'applied' : 'duplicate');
    for (const t of dead) outcomes.set(identityKey(t), 'removed');
    return outcomes;
  });
}
