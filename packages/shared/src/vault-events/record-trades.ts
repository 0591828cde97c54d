import { QUEUES, identityKey, type TradeExecuted } from '../contract';
import { sqlFragment, type Outcome, type SqlFragment, type Tx } from '../platform';
import { copyAgrees, recordedAgreesWithExcluded, representatives, rowKey, toRecorded, type RecordOutcome, type Recorded } from './copies-agree';
import { batchOutcomes, lateRemovals, lockBatch, mergeRecorded, settleCopies, type LedgerBatch, type Settled } from './ledger';
import { adoptedCte, elsewhereCte } from './ledger-statements';
import { markRecomputeFrom, markRecomputeFromSql } from './lock-protocol';

/**
 * The trade use case: records a batch of trades in the caller's transaction, exactly once per
 * identity (the trade-worker calls it through vaultEventRecorder), by the ledger steps (ledger.ts):
 * - the TradeEvent row of an identity (the whole event) is upserted first; its row lock
 *   serialises every copy of that event; `removed` only ever turns true, and only for a copy
 *   that agrees with the recorded event (a conflicting copy fails alone and changes nothing);
 * - a trade whose identity is not removed is inserted (a redelivery finds it and does nothing);
 * - a removed identity's trade row is deleted (that block's row only: a copy of the same
 *   transaction from a block of another hash is another identity, with its own row);
 * - a trade of an unknown vault writes nothing and reports 'vault-unknown' (retried later).
 */
export async function recordTrades(tx: Tx, trades: TradeExecuted[]): Promise<Outcome<RecordOutcome>[]> {
  const batch = await lockBatch(tx, 'TradeExecuted', QUEUES.trade.name, trades);
  const recorded = await upsertTradeLedger(tx, batch, representatives(batch.kind, batch.known));
  mergeRecorded(recorded, await upsertTradeLedger(tx, batch, lateRemovals(batch, recorded)));
  const settled = settleCopies(batch, recorded);
  return batchOutcomes(tx, batch, settled, await applyTrades(tx, batch, settled));
}

/**
 * The effects the ledger statement left (`done` undefined): removals, and identities whose first
 * copy in the batch conflicts while a later one agrees (see upsertTradeLedger). Returns every
 * agreeing identity's outcome.
 */
async function applyTrades(tx: Tx, batch: LedgerBatch<TradeExecuted>, { agreed, recorded }: Settled<TradeExecuted>): Promise<Map<string, RecordOutcome>> {
  const pending = agreed.filter((t) => recorded.get(identityKey(t))!.done === undefined);
  const live = pending.filter((t) => !t.removed);
  const dead = pending.filter((t) => t.removed);
  const inserted = live.length
    ? await tx.query<{ chainId: string; blockHash: string; logIndex: string; vaultId: number; blockNumber: string }>`
        ${insertTrades(sqlFragment`
          SELECT * FROM unnest(${live.map((t) => String(t.chainId))}::text[]::bigint[],
                               ${live.map((t) => t.blockHash)}::text[],
                               ${live.map((t) => t.txHash)}::text[],
                               ${live.map((t) => String(t.logIndex))}::text[]::bigint[],
                               ${live.map((t) => String(batch.vaultIdOf(t)))}::text[]::int[],
                               ${live.map((t) => String(t.blockNumber))}::text[]::bigint[],
                               ${live.map((t) => String(t.blockTimestamp))}::text[]::bigint[],
                               ${live.map((t) => t.tokenIn)}::text[],
                               ${live.map((t) => t.tokenOut)}::text[],
                               ${live.map((t) => t.amountIn)}::text[]::numeric[],
                               ${live.map((t) => t.amountOut)}::text[]::numeric[],
                               ${live.map((t) => t.pnl)}::text[]::numeric[])`)}`
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
async function upsertTradeLedger(tx: Tx, batch: LedgerBatch<TradeExecuted>, reps: TradeExecuted[]): Promise<Map<string, Recorded>> {
  if (!reps.length) return new Map();
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
                           ${reps.map((t) => String(batch.vaultIdOf(t)))}::text[]::int[],
                           ${reps.map(batch.mayApply)}::boolean[]) AS x(c, bh, l, h, r, b, ts, v, ti, tout, ai, ao, p, vid, may)
    ),
    ${elsewhereCte('TradeExecuted')},
    -- A live version-1 row adopted (ledger-statements.ts); its Trade row (block NULL) takes the hash too.
    ${adoptedCte('TradeExecuted')},
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
        SET "removed" = e."removed" OR (EXCLUDED."removed" AND ${recordedAgreesWithExcluded('TradeExecuted', 'e')})
      RETURNING e.*, (e.xmax = 0) AS inserted
    ),
    agreed AS (
      SELECT x.* FROM up JOIN x ON (x.c, x.bh, x.l) = (up."chainId", up."blockHash", up."logIndex")
       WHERE x.may AND NOT up."removed" AND ${copyAgrees('TradeExecuted', 'up')}
    ),
    -- An adopted live row's Trade row exists (adopted_trade gives it the hash): a duplicate.
    adopted_live AS (
      SELECT a."chainId" AS c, a."blockHash" AS bh, a."logIndex" AS l
        FROM adopted a JOIN x ON (x.c, x.bh, x.l) = (a."chainId", a."blockHash", a."logIndex")
       WHERE x.may AND NOT a."removed"
    ),
    ins AS (
      ${insertTrades(sqlFragment`SELECT c, bh, h, l, vid, b::bigint, ts::bigint, ti, tout, ai::numeric, ao::numeric, p::numeric FROM agreed`)}
    ),
    earliest AS (
      SELECT DISTINCT ON ("vaultId") "vaultId" AS v, "blockNumber" AS b, "logIndex" AS l FROM ins ORDER BY "vaultId", "blockNumber", "logIndex"
    ),
    -- markRecomputeFrom's UPDATE (lock-protocol.ts), on the rows this statement changed.
    mark AS (${markRecomputeFromSql(sqlFragment`earliest c`)}),
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

/**
 * The one insert of Trade rows: `rows` yields (chainId, blockHash, txHash, logIndex, vaultId,
 * blockNumber, blockTimestamp, tokenIn, tokenOut, amountIn, amountOut, pnl); an identity that
 * has its row already is skipped. Returns the inserted rows' identity, vault and block.
 */
function insertTrades(rows: SqlFragment): SqlFragment {
  return sqlFragment`
    INSERT INTO "Trade" ("chainId", "blockHash", "txHash", "logIndex", "vaultId", "blockNumber", "blockTimestamp",
                         "tokenIn", "tokenOut", "amountIn", "amountOut", "pnl")
    ${rows}
    ON CONFLICT ("chainId", "blockHash", "logIndex") DO NOTHING
    RETURNING "chainId", "blockHash", "logIndex", "vaultId", "blockNumber"`;
}
