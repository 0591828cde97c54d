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
    upsert: (reps, vaultIdOf, mayApply) => upsertTradeLedger(tx, reps, vaultIdOf, mayApply),
    async apply(agreed, recorded, vaultIdOf) {
      // The rare cases the ledger statement leaves: removals, and identities whose first copy
      // in the batch conflicts while a later one agrees (see upsertTradeLedger).
      const pending = agreed.filter((t) => recorded.get(identityKey(t))!.done === undefined);
      const live = pending.filter((t) => !t.removed);
      const dead = pending.filter((t) => t.removed);
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
      const outcomes = new Map(agreed.map((t) => [identityKey(t), recorded.get(identityKey(t))!.done!]));
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
 *
 * The same statement takes the effect of each representative that agrees with the recorded
 * event, is not removed and may apply (no removal copy in the batch): its Trade row is inserted
 * (`done` 'applied', or 'duplicate' when it exists), and lock-protocol rule 2's mark is set for
 * the earliest inserted position per vault at or before the folded one. Why one statement is
 * enough, although all its parts share one snapshot:
 * - agreement is decided on the row the upsert returns (the latest version, locked), with the
 *   comparison settleCopies makes: each recorded field, as text, is NULL or the copy's text;
 * - the Trade insert needs no snapshot: ON CONFLICT DO NOTHING sees a row committed by a
 *   concurrent copy (which held the ledger row first) and skips it: 'duplicate';
 * - removals are not taken here: a DELETE only finds rows its snapshot sees, and a concurrent
 *   copy's Trade row may commit after the snapshot while this statement waits for its ledger
 *   row; apply() deletes in a later statement, with a fresh snapshot;
 * - the mark reads VaultMetricsState, which no fold changes under this transaction's shared
 *   vault lock (held since lockVaultsForWrite), and reads the inserted rows through RETURNING
 *   (a CTE does not see another CTE's rows in the table). When nothing is inserted at or before
 *   the folded position it updates no row.
 */
async function upsertTradeLedger(tx: Tx, reps: TradeExecuted[], vaultIdOf: (t: TradeExecuted) => number, mayApply: (t: TradeExecuted) => boolean) {
  const rows = await tx.query`
    WITH x AS (
      SELECT * FROM unnest(${reps.map((t) => String(t.chainId))}::text[]::bigint[],
                           ${reps.map((t) => t.txHash)}::text[],
                           ${reps.map((t) => String(t.logIndex))}::text[]::bigint[],
                           ${reps.map((t) => t.removed)}::boolean[],
                           ${reps.map((t) => String(t.blockNumber))}::text[],
                           ${reps.map((t) => String(t.blockTimestamp))}::text[],
                           ${reps.map((t) => t.vaultAddress)}::text[],
                           ${reps.map((t) => t.tokenIn)}::text[],
                           ${reps.map((t) => t.tokenOut)}::text[],
                           ${reps.map((t) => t.amountIn)}::text[],
                           ${reps.map((t) => t.amountOut)}::text[],
                           ${reps.map((t) => t.pnl)}::text[],
                           ${reps.map((t) => String(vaultIdOf(t)))}::text[]::int[],
                           ${reps.map(mayApply)}::boolean[]) AS x(c, h, l, r, b, ts, v, ti, tout, ai, ao, p, vid, may)
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
      SELECT c, h, l, r, b::bigint, ts::bigint, v, ti, tout, ai::numeric, ao::numeric, p::numeric FROM x
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
    ),
    agreed AS (
      SELECT x.* FROM up JOIN x ON (x.c, x.h, x.l) = (up."chainId", up."txHash", up."logIndex")
       WHERE x.may AND NOT up."removed"
         AND (up."blockNumber" IS NULL OR up."blockNumber"::text = x.b) AND (up."blockTimestamp" IS NULL OR up."blockTimestamp"::text = x.ts)
         AND (up."vaultAddress" IS NULL OR up."vaultAddress" = x.v) AND (up."tokenIn" IS NULL OR up."tokenIn" = x.ti)
         AND (up."tokenOut" IS NULL OR up."tokenOut" = x.tout) AND (up."amountIn" IS NULL OR up."amountIn"::text = x.ai)
         AND (up."amountOut" IS NULL OR up."amountOut"::text = x.ao) AND (up."pnl" IS NULL OR up."pnl"::text = x.p)
    ),
    ins AS (
      INSERT INTO "Trade" ("chainId", "txHash", "logIndex", "vaultId", "blockNumber", "blockTimestamp",
                           "tokenIn", "tokenOut", "amountIn", "amountOut", "pnl")
      SELECT c, h, l, vid, b::bigint, ts::bigint, ti, tout, ai::numeric, ao::numeric, p::numeric FROM agreed
      ON CONFLICT ("chainId", "txHash", "logIndex") DO NOTHING
      RETURNING "chainId", "txHash", "logIndex", "vaultId", "blockNumber"
    ),
    earliest AS (
      SELECT DISTINCT ON ("vaultId") "vaultId" AS v, "blockNumber" AS b, "logIndex" AS l FROM ins ORDER BY "vaultId", "blockNumber", "logIndex"
    ),
    -- markRecomputeFrom's UPDATE (lock-protocol.ts), on the rows this statement changed.
    mark AS (
      UPDATE "VaultMetricsState" s
         SET "recomputeFromBlock" = c.b, "recomputeFromLogIndex" = c.l
        FROM earliest c
       WHERE s."vaultId" = c.v
         AND (s."blockNumber", s."logIndex") >= (c.b, c.l)
         AND (s."recomputeFromBlock" IS NULL OR (s."recomputeFromBlock", s."recomputeFromLogIndex") > (c.b, c.l))
    )
    -- IN (SELECT ...) rather than joins: hashed once, where a join of two CTEs (estimated at
    -- one row each) is planned as a nested loop that rescans one per row of the other.
    SELECT up."chainId"::text AS "chainId", up."txHash", up."logIndex"::text AS "logIndex", ${QUEUES.trade.name}::text AS queue,
           up."removed", up.inserted, up."blockNumber"::text AS "blockNumber", up."blockTimestamp"::text AS "blockTimestamp",
           up."vaultAddress", up."tokenIn", up."tokenOut", up."amountIn"::text AS "amountIn", up."amountOut"::text AS "amountOut",
           up."pnl"::text AS "pnl",
           CASE WHEN (up."chainId", up."txHash", up."logIndex") IN (SELECT "chainId", "txHash", "logIndex" FROM ins) THEN 'applied'
                WHEN (up."chainId", up."txHash", up."logIndex") IN (SELECT c, h, l FROM agreed) THEN 'duplicate' END AS done
      FROM up
    UNION ALL
    SELECT c::text, h, l::text, queue, false, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM elsewhere`;
  return new Map(rows.map((r) => toRecorded('TradeExecuted', r)));
}
