import { QUEUES, identityKey, type TradeExecuted } from '../contract';
import type { Outcome, Tx } from '../platform';
import { recordVaultEvents, rowKey, toRecorded, type RecordOutcome } from './ledger';
import { markRecomputeFrom } from './lock-protocol';

/**
 * The trade use case: records a batch of trades in the caller's transaction, exactly once per
 * identity (the trade-worker calls it through vaultEventRecorder):
 * - the TradeEvent row of an identity (the whole event) is upserted first; its row lock
 *   serialises every copy of that event; `removed` only ever turns true, and only for a copy
 *   that agrees with the recorded event (a conflicting copy fails alone and changes nothing);
 * - a trade whose identity is not removed is inserted (a redelivery finds it and does nothing);
 * - a removed identity's trade row is deleted;
 * - a trade of an unknown vault writes nothing and reports 'vault-unknown' (retried later).
 */
export function recordTrades(tx: Tx, trades: TradeExecuted[]): Promise<Outcome<RecordOutcome>[]> {
  return recordVaultEvents(tx, trades, {
    kind: 'TradeExecuted',
    queue: QUEUES.trade.name,
    upsert: (reps) => upsertTradeLedger(tx, reps),
    async apply(agreed, _recorded, vaultIdOf) {
      const live = agreed.filter((t) => !t.removed);
      const dead = agreed.filter((t) => t.removed);
      const inserted = live.length
        ? await tx.query<{ chainId: string; txHash: string; logIndex: string; vaultId: number; blockNumber: string }>`
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
            RETURNING "chainId", "txHash", "logIndex", "vaultId", "blockNumber"`
        : [];
      const deleted = dead.length
        ? await tx.query<{ vaultId: number; blockNumber: string; logIndex: string }>`
            DELETE FROM "Trade" t
             USING unnest(${dead.map((d) => String(d.chainId))}::text[]::bigint[],
                          ${dead.map((d) => d.txHash)}::text[],
                          ${dead.map((d) => String(d.logIndex))}::text[]::bigint[]) AS r(c, h, l)
             WHERE t."chainId" = r.c AND t."txHash" = r.h AND t."logIndex" = r.l
            RETURNING t."vaultId", t."blockNumber", t."logIndex"`
        : [];
      await markRecomputeFrom(tx, [...inserted, ...deleted]);

      const insertedKeys = new Set(inserted.map(rowKey));
      const outcomes = new Map<string, RecordOutcome>();
      for (const t of live) outcomes.set(identityKey(t), insertedKeys.has(identityKey(t)) ? 'applied' : 'duplicate');
      for (const t of dead) outcomes.set(identityKey(t), 'removed');
      return outcomes;
    },
  });
}

/**
 * One statement: an identity already on another queue's ledger is reported, not written; the
 * others are upserted, a copy's `removed` taking effect only when it agrees with the recorded
 * event, and the recorded event comes back to be compared with every copy of the batch.
 */
async function upsertTradeLedger(tx: Tx, reps: TradeExecuted[]) {
  const rows = await tx.query`
    WITH x AS (
      SELECT * FROM unnest(${reps.map((t) => String(t.chainId))}::text[]::bigint[],
                           ${reps.map((t) => t.txHash)}::text[],
                           ${reps.map((t) => String(t.logIndex))}::text[]::bigint[],
                           ${reps.map((t) => t.removed)}::boolean[],
                           ${reps.map((t) => String(t.blockNumber))}::text[]::bigint[],
                           ${reps.map((t) => String(t.blockTimestamp))}::text[]::bigint[],
                           ${reps.map((t) => t.vaultAddress)}::text[],
                           ${reps.map((t) => t.tokenIn)}::text[],
                           ${reps.map((t) => t.tokenOut)}::text[],
                           ${reps.map((t) => t.amountIn)}::text[]::numeric[],
                           ${reps.map((t) => t.amountOut)}::text[]::numeric[],
                           ${reps.map((t) => t.pnl)}::text[]::numeric[]) AS x(c, h, l, r, b, ts, v, ti, tout, ai, ao, p)
    ),
    elsewhere AS (
      SELECT x.c, x.h, x.l, ${QUEUES.follower.name}::text AS queue
        FROM x JOIN "FollowerEvent" o ON (o."chainId", o."txHash", o."logIndex") = (x.c, x.h, x.l)
      UNION ALL
      SELECT x.c, x.h, x.l, ${QUEUES.vault.name}::text
        FROM x JOIN "VaultDeployEvent" o ON (o."chainId", o."txHash", o."logIndex") = (x.c, x.h, x.l)
    ),
    up AS (
      INSERT INTO "TradeEvent" AS e ("chainId", "txHash", "logIndex", "removed", "blockNumber", "blockTimestamp",
                                     "vaultAddress", "tokenIn", "tokenOut", "amountIn", "amountOut", "pnl")
      SELECT c, h, l, r, b, ts, v, ti, tout, ai, ao, p FROM x
       WHERE NOT EXISTS (SELECT 1 FROM elsewhere o WHERE (o.c, o.h, o.l) = (x.c, x.h, x.l))
      ON CONFLICT ("chainId", "txHash", "logIndex") DO UPDATE
        SET "removed" = e."removed" OR (EXCLUDED."removed" AND
            (COALESCE(e."blockNumber", EXCLUDED."blockNumber"), COALESCE(e."blockTimestamp", EXCLUDED."blockTimestamp"),
             COALESCE(e."vaultAddress", EXCLUDED."vaultAddress"), COALESCE(e."tokenIn", EXCLUDED."tokenIn"),
             COALESCE(e."tokenOut", EXCLUDED."tokenOut"), COALESCE(e."amountIn", EXCLUDED."amountIn"),
             COALESCE(e."amountOut", EXCLUDED."amountOut"), COALESCE(e."pnl", EXCLUDED."pnl"))
            = (EXCLUDED."blockNumber", EXCLUDED."blockTimestamp", EXCLUDED."vaultAddress", EXCLUDED."tokenIn",
               EXCLUDED."tokenOut", EXCLUDED."amountIn", EXCLUDED."amountOut", EXCLUDED."pnl"))
      RETURNING e.*, (e.xmax = 0) AS inserted
    )
    SELECT "chainId"::text AS "chainId", "txHash", "logIndex"::text AS "logIndex", ${QUEUES.trade.name}::text AS queue,
           "removed", inserted, "blockNumber"::text AS "blockNumber", "blockTimestamp"::text AS "blockTimestamp",
           "vaultAddress", "tokenIn", "tokenOut", "amountIn"::text AS "amountIn", "amountOut"::text AS "amountOut", "pnl"::text AS "pnl"
      FROM up
    UNION ALL
    SELECT c::text, h, l::text, queue, false, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM elsewhere`;
  return new Map(rows.map((r) => toRecorded('TradeExecuted', r)));
}
