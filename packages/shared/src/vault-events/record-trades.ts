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
 * - a removed identity's trade row is deleted (that block's row only: a copy of the same
 *   transaction from a block of another hash is another identity, with its own row);
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
        ? await tx.query<{ chainId: string; blockHash: string; logIndex: string; vaultId: number; blockNumber: string }>`
            INSERT INTO "Trade" ("chainId", "blockHash", "txHash", "logIndex", "vaultId", "blockNumber", "blockTimestamp",
                                 "tokenIn", "tokenOut", "amountIn", "amountOut", "pnl")
            SELECT * FROM unnest(${live.map((t) => String(t.chainId))}::text[]::bigint[],
                                 ${live.map((t) => t.blockHash)}::text[],
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
            ON CONFLICT ("chainId", "blockHash", "logIndex") DO NOTHING
            RETURNING "chainId", "blockHash", "logIndex", "vaultId", "blockNumber"`
        : [];
      const deleted = dead.length
        ? await tx.query<{ vaultId: number; blockNumber: string; logIndex: string }>`
            DELETE FROM "Trade" t
             USING unnest(${dead.map((d) => String(d.chainId))}::text[]::bigint[],
                          ${dead.map((d) => d.blockHash)}::text[],
                          ${dead.map((d) => String(d.logIndex))}::text[]::bigint[]) AS r(c, bh, l)
             WHERE t."chainId" = r.c AND t."blockHash" = r.bh AND t."logIndex" = r.l
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
 * - a live version-1 row (ledger.ts) is adopted by the same statement, before the upsert, which
 *   leaves the adopted copies out: the upsert's ON CONFLICT would not see the adopted row's new
 *   key (one snapshot); an adopted removal's Trade row is deleted by apply(), like any removal;
 * - the mark reads VaultMetricsState, which no fold changes under this transaction's shared
 *   vault lock (held since lockVaultsForWrite), and reads the inserted rows through RETURNING
 *   (a CTE does not see another CTE's rows in the table). When nothing is inserted at or before
 *   the folded position it updates no row.
 */
async function upsertTradeLedger(tx: Tx, reps: TradeExecuted[], vaultIdOf: (t: TradeExecuted) => number, mayApply: (t: TradeExecuted) => boolean) {
  const rows = await tx.query`
    WITH x AS (
      SELECT * FROM unnest(${reps.map((t) => String(t.chainId))}::text[]::bigint[],
                           ${reps.map((t) => t.blockHash)}::text[],
                           ${reps.map((t) => String(t.logIndex))}::text[]::bigint[],
                           ${reps.map((t) => t.txHash)}::text[],
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
                           ${reps.map(mayApply)}::boolean[]) AS x(c, bh, l, h, r, b, ts, v, ti, tout, ai, ao, p, vid, may)
    ),
    elsewhere AS (
      SELECT x.c, x.bh, x.l, ${QUEUES.follower.name}::text AS queue
        FROM x JOIN "FollowerEvent" o ON (o."chainId", o."blockHash", o."logIndex") = (x.c, x.bh, x.l)
      UNION ALL
      SELECT x.c, x.bh, x.l, ${QUEUES.vault.name}::text
        FROM x JOIN "VaultDeployEvent" o ON (o."chainId", o."blockHash", o."logIndex") = (x.c, x.bh, x.l)
    ),
    -- A live version-1 row of the copy's transaction and log (marker 'v1:' || txHash, see
    -- ledger.ts) that agrees with it, when the identity is not recorded yet: it takes the copy's
    -- hash and its removed flag. Its Trade row (block NULL) takes the hash too.
    adopted AS (
      UPDATE "TradeEvent" e SET "blockHash" = x.bh, "removed" = x.r
        FROM x
       WHERE (e."chainId", e."blockHash", e."logIndex") = (x.c, 'v1:' || x.h, x.l) AND NOT e."removed"
         AND (COALESCE(e."blockNumber"::text, x.b), COALESCE(e."blockTimestamp"::text, x.ts), COALESCE(e."vaultAddress", x.v),
              COALESCE(e."tokenIn", x.ti), COALESCE(e."tokenOut", x.tout), COALESCE(e."amountIn"::text, x.ai),
              COALESCE(e."amountOut"::text, x.ao), COALESCE(e."pnl"::text, x.p)) = (x.b, x.ts, x.v, x.ti, x.tout, x.ai, x.ao, x.p)
         AND NOT EXISTS (SELECT 1 FROM elsewhere o WHERE (o.c, o.bh, o.l) = (x.c, x.bh, x.l))
         AND NOT EXISTS (SELECT 1 FROM "TradeEvent" o WHERE (o."chainId", o."blockHash", o."logIndex") = (x.c, x.bh, x.l))
      RETURNING e.*, false AS inserted
    ),
    adopted_trade AS (
      UPDATE "Trade" t SET "blockHash" = a."blockHash" FROM adopted a
       WHERE (t."chainId", t."txHash", t."logIndex") = (a."chainId", a."txHash", a."logIndex") AND t."blockHash" IS NULL
    ),
    up AS (
      INSERT INTO "TradeEvent" AS e ("chainId", "blockHash", "logIndex", "txHash", "removed", "blockNumber", "blockTimestamp",
                                     "vaultAddress", "tokenIn", "tokenOut", "amountIn", "amountOut", "pnl")
      SELECT c, bh, l, h, r, b::bigint, ts::bigint, v, ti, tout, ai::numeric, ao::numeric, p::numeric FROM x
       WHERE NOT EXISTS (SELECT 1 FROM elsewhere o WHERE (o.c, o.bh, o.l) = (x.c, x.bh, x.l))
         AND NOT EXISTS (SELECT 1 FROM adopted a WHERE (a."chainId", a."blockHash", a."logIndex") = (x.c, x.bh, x.l))
      ON CONFLICT ("chainId", "blockHash", "logIndex") DO UPDATE
        SET "removed" = e."removed" OR (EXCLUDED."removed" AND
            (e."txHash", COALESCE(e."blockNumber", EXCLUDED."blockNumber"), COALESCE(e."blockTimestamp", EXCLUDED."blockTimestamp"),
             COALESCE(e."vaultAddress", EXCLUDED."vaultAddress"), COALESCE(e."tokenIn", EXCLUDED."tokenIn"),
             COALESCE(e."tokenOut", EXCLUDED."tokenOut"), COALESCE(e."amountIn", EXCLUDED."amountIn"),
             COALESCE(e."amountOut", EXCLUDED."amountOut"), COALESCE(e."pnl", EXCLUDED."pnl"))
            = (EXCLUDED."txHash", EXCLUDED."blockNumber", EXCLUDED."blockTimestamp", EXCLUDED."vaultAddress", EXCLUDED."tokenIn",
               EXCLUDED."tokenOut", EXCLUDED."amountIn", EXCLUDED."amountOut", EXCLUDED."pnl"))
      RETURNING e.*, (e.xmax = 0) AS inserted
    ),
    agreed AS (
      SELECT x.* FROM up JOIN x ON (x.c, x.bh, x.l) = (up."chainId", up."blockHash", up."logIndex")
       WHERE x.may AND NOT up."removed" AND up."txHash" = x.h
         AND (up."blockNumber" IS NULL OR up."blockNumber"::text = x.b) AND (up."blockTimestamp" IS NULL OR up."blockTimestamp"::text = x.ts)
         AND (up."vaultAddress" IS NULL OR up."vaultAddress" = x.v) AND (up."tokenIn" IS NULL OR up."tokenIn" = x.ti)
         AND (up."tokenOut" IS NULL OR up."tokenOut" = x.tout) AND (up."amountIn" IS NULL OR up."amountIn"::text = x.ai)
         AND (up."amountOut" IS NULL OR up."amountOut"::text = x.ao) AND (up."pnl" IS NULL OR up."pnl"::text = x.p)
    ),
    -- An adopted live row's Trade row exists (adopted_trade gives it the hash): a duplicate.
    adopted_live AS (
      SELECT a."chainId" AS c, a."blockHash" AS bh, a."logIndex" AS l
        FROM adopted a JOIN x ON (x.c, x.bh, x.l) = (a."chainId", a."blockHash", a."logIndex")
       WHERE x.may AND NOT a."removed"
    ),
    ins AS (
      INSERT INTO "Trade" ("chainId", "blockHash", "txHash", "logIndex", "vaultId", "blockNumber", "blockTimestamp",
                           "tokenIn", "tokenOut", "amountIn", "amountOut", "pnl")
      SELECT c, bh, h, l, vid, b::bigint, ts::bigint, ti, tout, ai::numeric, ao::numeric, p::numeric FROM agreed
      ON CONFLICT ("chainId", "blockHash", "logIndex") DO NOTHING
      RETURNING "chainId", "blockHash", "logIndex", "vaultId", "blockNumber"
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
    ),
    recorded AS (SELECT * FROM up UNION ALL SELECT * FROM adopted)
    -- IN (SELECT ...) rather than joins: hashed once, where a join of two CTEs (estimated at
    -- one row each) is planned as a nested loop that rescans one per row of the other.
    SELECT e."chainId"::text AS "chainId", e."blockHash", e."logIndex"::text AS "logIndex", ${QUEUES.trade.name}::text AS queue,
           e."removed", e.inserted, e."txHash", e."blockNumber"::text AS "blockNumber", e."blockTimestamp"::text AS "blockTimestamp",
           e."vaultAddress", e."tokenIn", e."tokenOut", e."amountIn"::text AS "amountIn", e."amountOut"::text AS "amountOut",
           e."pnl"::text AS "pnl",
           CASE WHEN (e."chainId", e."blockHash", e."logIndex") IN (SELECT "chainId", "blockHash", "logIndex" FROM ins) THEN 'applied'
                WHEN (e."chainId", e."blockHash", e."logIndex") IN (SELECT c, bh, l FROM agreed) THEN 'duplicate'
                WHEN (e."chainId", e."blockHash", e."logIndex") IN (SELECT c, bh, l FROM adopted_live) THEN 'duplicate' END AS done
      FROM recorded e
    UNION ALL
    SELECT c::text, bh, l::text, queue, false, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM elsewhere`;
  return new Map(rows.map((r) => toRecorded('TradeExecuted', r)));
}
