import { QUEUES, identityKey, type FollowerEvent } from '../contract';
import { sqlFragment, type Outcome, type Tx } from '../platform';
import { copyAgrees, recordedAgreesWithExcluded, representatives, toRecorded, type RecordOutcome, type Recorded } from './copies-agree';
import { batchOutcomes, lateRemovals, lockBatch, mergeRecorded, settleCopies, type LedgerBatch, type Settled } from './ledger';
import { adoptedCte, elsewhereCte } from './ledger-statements';
import { markRecomputeFrom, markRecomputeFromSql } from './lock-protocol';

/**
 * The follower use case: records a batch of follower events in the caller's transaction (the
 * follower-worker calls it through vaultEventRecorder), by the ledger steps (ledger.ts), and brings each affected
 * (follower, vault) balance up to date from the ledger:
 * - the FollowerEvent row (the ledger entry) is upserted; its row lock serialises copies of one
 *   event, and `removed` only ever turns true, and only for a copy that agrees with the recorded
 *   event (a conflicting copy fails alone, changes nothing, and creates no user);
 * - each affected pair's balance is recomputed as a SUM over its non-removed ledger rows under a
 *   per-pair advisory lock (so two concurrent events of one pair cannot both miss each other),
 *   never by read-modify-write of a running total; the lock is taken by the ledger statement,
 *   the SUM is the next statement (its snapshot must start after the lock is granted);
 * - the subscription row exists iff the balance is > 0.
 * The follower's user is created as soon as the vault exists, removed event or not (rule 1).
 */
export async function recordFollowerEvents(tx: Tx, events: FollowerEvent[]): Promise<Outcome<RecordOutcome>[]> {
  const batch = await lockBatch(tx, 'FollowerEvent', QUEUES.follower.name, events, (e) => e.followerAddress);
  const recorded = await upsertFollowerLedger(tx, batch, representatives(batch.kind, batch.known));
  mergeRecorded(recorded, await upsertFollowerLedger(tx, batch, lateRemovals(batch, recorded)));
  const settled = settleCopies(batch, recorded);
  return batchOutcomes(tx, batch, settled, await applyFollowerEvents(tx, batch, settled));
}

/**
 * The users created (with the vault locks, lockBatch, for every copy of a known vault) that
 * ended up in no agreeing event are taken back; the recompute mark for the changes the ledger
 * statement did not mark; the affected pairs' balances. Returns every agreeing identity's outcome.
 */
async function applyFollowerEvents(tx: Tx, batch: LedgerBatch<FollowerEvent>, { agreed, recorded }: Settled<FollowerEvent>): Promise<Map<string, RecordOutcome>> {
  const rows = agreed.map((e) => {
    const r = recorded.get(identityKey(e))!;
    return { k: identityKey(e), removed: r.removed, inserted: r.inserted, done: r.done, vaultId: batch.vaultIdOf(e), userId: Number(r.row.userId), blockNumber: e.blockNumber, logIndex: e.logIndex };
  });
  // A follower seen only in conflicting copies is no user (rule 1 counts valid events only).
  const kept = new Set(rows.map((r) => r.userId));
  const strays = batch.createdUsers.filter((id) => !kept.has(id));
  if (strays.length) await tx.execute`DELETE FROM "User" WHERE id = ANY(${strays.map(String)}::text[]::int[])`;

  // Effects changed by this batch: a new live event, or a removal (conservatively: any
  // removal that found its row, even one already removed). The ledger statement marked
  // those it took (`done`).
  const changed = rows.filter((r) => r.done === undefined && (r.inserted ? !r.removed : r.removed));
  await markRecomputeFrom(tx, changed);

  const pairs = [...new Map(rows.map((r) => [`${r.vaultId}:${r.userId}`, r])).values()].sort(
    (a, b) => a.vaultId - b.vaultId || a.userId - b.userId,
  );
  if (pairs.length) await updateBalances(tx, pairs.map((p) => p.vaultId), pairs.map((p) => p.userId));

  return new Map(rows.map((r) => [r.k, r.removed ? 'removed' : r.inserted ? 'applied' : 'duplicate'] as const));
}

/**
 * One statement: an identity already on another queue's ledger is reported, not written; the
 * others are upserted, a copy's `removed` taking effect only when it agrees with the recorded
 * event, and the recorded event comes back (with its vault's and follower's addresses) to be
 * compared with every copy of the batch. The followers' ids are looked up here: the users were
 * created by lockVaultsForWrite, a statement before this one, which makes them visible (see
 * ensureUsers).
 *
 * The same statement
 * - sets lock-protocol rule 2's mark for the rows a representative that agrees and may apply
 *   (no removal copy in the batch) changed, reporting them as `done` (the shared vault lock is
 *   held since lockVaultsForWrite, so no fold moves the position; the changed rows are read
 *   through RETURNING, and when none is at or before the folded position no row is updated);
 * - takes the balance lock (lock-protocol rule 4's (vault, follower) key space:
 *   hashtextextended('follower:' || vaultId || ':' || userId, 0)) of every pair whose ledger row
 *   it returned, a superset of the pairs apply() recomputes (an agreeing copy names the recorded
 *   pair). Pairs sorted, and after all the ledger row locks (the sort reads all of `up` first),
 *   the order every writer takes them in. The balances are summed by the next statement, whose
 *   snapshot starts after these locks are held.
 */
async function upsertFollowerLedger(tx: Tx, batch: LedgerBatch<FollowerEvent>, reps: FollowerEvent[]): Promise<Map<string, Recorded>> {
  if (!reps.length) return new Map();
  const rows = await tx.query`
    WITH x AS (
      -- The user id by a correlated subquery: an index probe per row, where a join is planned as
      -- a hash over all of "User" once the table is a few hundred rows.
      SELECT x.*, (SELECT u.id FROM "User" u WHERE u."walletAddress" = x.f) AS u FROM unnest(${reps.map((e) => String(e.chainId))}::text[]::bigint[],
                           ${reps.map((e) => e.blockHash)}::text[],
                           ${reps.map((e) => String(e.logIndex))}::text[]::bigint[],
                           ${reps.map((e) => e.txHash)}::text[],
                           ${reps.map((e) => String(batch.vaultIdOf(e)))}::text[]::int[],
                           ${reps.map((e) => e.followerAddress)}::text[],
                           ${reps.map((e) => e.action)}::text[],
                           ${reps.map((e) => e.amount)}::text[],
                           ${reps.map((e) => String(e.blockNumber))}::text[],
                           ${reps.map((e) => String(e.blockTimestamp))}::text[],
                           ${reps.map((e) => e.removed)}::boolean[],
                           ${reps.map(batch.mayApply)}::boolean[]) AS x(c, bh, l, h, v, f, a, m, b, ts, r, may)
    ),
    ${elsewhereCte('FollowerEvent')},
    ${adoptedCte('FollowerEvent')},
    up AS (
      INSERT INTO "FollowerEvent" AS e ("chainId", "blockHash", "logIndex", "txHash", "vaultId", "userId", "action", "amount",
                                        "blockNumber", "blockTimestamp", "removed")
      SELECT c, bh, l, h, v, u, a::"FollowerAction", m::numeric, b::bigint, ts::bigint, r FROM x
       WHERE NOT EXISTS (SELECT 1 FROM elsewhere o WHERE (o.c, o.bh, o.l) = (x.c, x.bh, x.l))
         AND NOT EXISTS (SELECT 1 FROM adopted a WHERE (a."chainId", a."blockHash", a."logIndex") = (x.c, x.bh, x.l))
      ON CONFLICT ("chainId", "blockHash", "logIndex") DO UPDATE
        SET "removed" = e."removed" OR (EXCLUDED."removed" AND ${recordedAgreesWithExcluded('FollowerEvent', 'e')})
      RETURNING e.*, (e.xmax = 0) AS inserted
    ),
    recorded AS (SELECT * FROM up UNION ALL SELECT * FROM adopted),
    balance_locks AS (
      SELECT count(pg_advisory_xact_lock(hashtextextended('follower:' || p.v || ':' || p.u, 0)))::int AS n
        FROM (SELECT DISTINCT "vaultId" AS v, "userId" AS u FROM recorded ORDER BY v, u OFFSET 0) AS p
    ),
    done AS (
      SELECT e."chainId" AS c, e."blockHash" AS bh, e."logIndex" AS l, e."vaultId" AS v, e."blockNumber" AS b,
             (e.inserted AND NOT e."removed") OR (NOT e.inserted AND e."removed") AS changed
        FROM recorded e JOIN x ON (x.c, x.bh, x.l) = (e."chainId", e."blockHash", e."logIndex")
       WHERE x.may
         -- settleCopies' comparison (the vault's and follower's ids stand for their unique addresses).
         AND ${copyAgrees('FollowerEvent', 'e')}
    ),
    earliest AS (
      SELECT DISTINCT ON (v) v, b, l FROM done WHERE changed ORDER BY v, b, l
    ),
    -- markRecomputeFrom's UPDATE (lock-protocol.ts), on the rows this statement changed.
    mark AS (${markRecomputeFromSql(sqlFragment`earliest c`)})
    SELECT e."chainId"::text AS "chainId", e."blockHash", e."logIndex"::text AS "logIndex", ${QUEUES.follower.name}::text AS queue,
           e."removed", e.inserted, e."userId", e."txHash", e."blockNumber"::text AS "blockNumber", e."blockTimestamp"::text AS "blockTimestamp",
           v."contractAddress" AS "vaultAddress", u."walletAddress" AS "followerAddress", e."amount"::text AS "amount",
           e."action"::text AS "action", (SELECT n FROM balance_locks) AS "balanceLocks",
           -- IN (SELECT ...) rather than a join: hashed once, never a nested loop over two CTEs.
           CASE WHEN (e."chainId", e."blockHash", e."logIndex") NOT IN (SELECT c, bh, l FROM done) THEN NULL
                WHEN e."removed" THEN 'removed' WHEN e.inserted THEN 'applied' ELSE 'duplicate' END AS done
      FROM recorded e JOIN "Vault" v ON v.id = e."vaultId" JOIN "User" u ON u.id = e."userId"
    UNION ALL
    SELECT c::text, bh, l::text, queue, false, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM elsewhere`;
  return new Map(rows.map((r) => toRecorded('FollowerEvent', r)));
}

/** The pairs' balances from the ledger; their locks are held (upsertFollowerLedger took them). */
async function updateBalances(tx: Tx, vaultIds: number[], userIds: number[]): Promise<void> {
  const v = vaultIds.map(String);
  const u = userIds.map(String);
  await tx.execute`
    WITH pairs AS (SELECT * FROM unnest(${v}::text[]::int[], ${u}::text[]::int[]) AS p(v, u)),
    balances AS (
      SELECT p.v, p.u, COALESCE(SUM(CASE e."action" WHEN 'DEPOSIT' THEN e."amount" ELSE -e."amount" END), 0) AS balance
        FROM pairs p
        LEFT JOIN "FollowerEvent" e ON e."vaultId" = p.v AND e."userId" = p.u AND NOT e."removed"
       GROUP BY p.v, p.u
    ),
    gone AS (
      DELETE FROM "FollowerSubscription" s USING balances b
       WHERE s."vaultId" = b.v AND s."userId" = b.u AND b.balance <= 0
    )
    INSERT INTO "FollowerSubscription" ("userId", "vaultId", "depositedAmount", "updatedAt")
    SELECT u, v, balance, now() FROM balances WHERE balance > 0 ORDER BY v, u
    ON CONFLICT ("userId", "vaultId")
      DO UPDATE SET "depositedAmount" = EXCLUDED."depositedAmount", "updatedAt" = now()
      WHERE "FollowerSubscription"."depositedAmount" IS DISTINCT FROM EXCLUDED."depositedAmount"`;
}

