import { QUEUES, identityKey, type FollowerEvent } from '../contract';
import type { Outcome, Tx } from '../platform';
import { recordVaultEvents, toRecorded, type RecordOutcome } from './ledger';
import { lockFollowerBalances, markRecomputeFrom } from './lock-protocol';
import { ensureUsers } from './users';

/**
 * The follower use case: records a batch of follower events in the caller's transaction (the
 * follower-worker calls it through vaultEventRecorder) and brings each affected
 * (follower, vault) balance up to date from the ledger:
 * - the FollowerEvent row (the ledger entry) is upserted; its row lock serialises copies of one
 *   event, and `removed` only ever turns true, and only for a copy that agrees with the recorded
 *   event (a conflicting copy fails alone, changes nothing, and creates no user);
 * - each affected pair's balance is recomputed as a SUM over its non-removed ledger rows under a
 *   per-pair advisory lock (so two concurrent events of one pair cannot both miss each other),
 *   never by read-modify-write of a running total;
 * - the subscription row exists iff the balance is > 0.
 * The follower's user is created as soon as the vault exists, removed event or not (rule 1).
 */
export function recordFollowerEvents(tx: Tx, events: FollowerEvent[]): Promise<Outcome<RecordOutcome>[]> {
  // Users this transaction created, for representatives that may turn out to conflict.
  const created = new Set<number>();
  return recordVaultEvents(tx, events, {
    kind: 'FollowerEvent',
    queue: QUEUES.follower.name,
    async upsert(reps, vaultIdOf) {
      const users = await ensureUsers(tx, reps.map((e) => e.followerAddress), created);
      return upsertFollowerLedger(tx, reps, vaultIdOf, (e) => users.get(e.followerAddress)!);
    },
    async apply(agreed, recorded, vaultIdOf) {
      const rows = agreed.map((e) => {
        const r = recorded.get(identityKey(e))!;
        return { k: identityKey(e), removed: r.removed, inserted: r.inserted, vaultId: vaultIdOf(e), userId: Number(r.row.userId), blockNumber: e.blockNumber, logIndex: e.logIndex };
      });
      // A follower seen only in conflicting copies is no user (rule 1 counts valid events only).
      const kept = new Set(rows.map((r) => r.userId));
      const strays = [...created].filter((id) => !kept.has(id));
      if (strays.length) await tx.execute`DELETE FROM "User" WHERE id = ANY(${strays.map(String)}::text[]::int[])`;

      // Effects changed by this batch: a new live event, or a removal (conservatively: any
      // removal that found its row, even one already removed).
      const changed = rows.filter((r) => (r.inserted ? !r.removed : r.removed));
      await markRecomputeFrom(tx, changed);

      const pairs = [...new Map(rows.map((r) => [`${r.vaultId}:${r.userId}`, r])).values()].sort(
        (a, b) => a.vaultId - b.vaultId || a.userId - b.userId,
      );
      if (pairs.length) await updateBalances(tx, pairs.map((p) => p.vaultId), pairs.map((p) => p.userId));

      return new Map(rows.map((r) => [r.k, r.removed ? 'removed' : r.inserted ? 'applied' : 'duplicate'] as const));
    },
  });
}

/**
 * One statement: an identity already on another queue's ledger is reported, not written; the
 * others are upserted, a copy's `removed` taking effect only when it agrees with the recorded
 * event, and the recorded event comes back (with its vault's and follower's addresses) to be
 * compared with every copy of the batch.
 */
async function upsertFollowerLedger(tx: Tx, reps: FollowerEvent[], vaultIdOf: (e: FollowerEvent) => number, userOf: (e: FollowerEvent) => number) {
  const rows = await tx.query`
    WITH x AS (
      SELECT * FROM unnest(${reps.map((e) => String(e.chainId))}::text[]::bigint[],
                           ${reps.map((e) => e.txHash)}::text[],
                           ${reps.map((e) => String(e.logIndex))}::text[]::bigint[],
                           ${reps.map((e) => String(vaultIdOf(e)))}::text[]::int[],
                           ${reps.map((e) => String(userOf(e)))}::text[]::int[],
                           ${reps.map((e) => e.action)}::text[],
                           ${reps.map((e) => e.amount)}::text[]::numeric[],
                           ${reps.map((e) => String(e.blockNumber))}::text[]::bigint[],
                           ${reps.map((e) => String(e.blockTimestamp))}::text[]::bigint[],
                           ${reps.map((e) => e.removed)}::boolean[]) AS x(c, h, l, v, u, a, m, b, ts, r)
    ),
    elsewhere AS (
      SELECT x.c, x.h, x.l, ${QUEUES.trade.name}::text AS queue
        FROM x JOIN "TradeEvent" o ON (o."chainId", o."txHash", o."logIndex") = (x.c, x.h, x.l)
      UNION ALL
      SELECT x.c, x.h, x.l, ${QUEUES.vault.name}::text
        FROM x JOIN "VaultDeployEvent" o ON (o."chainId", o."txHash", o."logIndex") = (x.c, x.h, x.l)
    ),
    up AS (
      INSERT INTO "FollowerEvent" AS e ("chainId", "txHash", "logIndex", "vaultId", "userId", "action", "amount",
                                        "blockNumber", "blockTimestamp", "removed")
      SELECT c, h, l, v, u, a::"FollowerAction", m, b, ts, r FROM x
       WHERE NOT EXISTS (SELECT 1 FROM elsewhere o WHERE (o.c, o.h, o.l) = (x.c, x.h, x.l))
      ON CONFLICT ("chainId", "txHash", "logIndex") DO UPDATE
        SET "removed" = e."removed" OR (EXCLUDED."removed" AND
            (e."blockNumber", e."blockTimestamp", e."vaultId", e."userId", e."amount", e."action")
            = (EXCLUDED."blockNumber", EXCLUDED."blockTimestamp", EXCLUDED."vaultId", EXCLUDED."userId", EXCLUDED."amount", EXCLUDED."action"))
      RETURNING e.*, (e.xmax = 0) AS inserted
    )
    SELECT up."chainId"::text AS "chainId", up."txHash", up."logIndex"::text AS "logIndex", ${QUEUES.follower.name}::text AS queue,
           up."removed", up.inserted, up."userId", up."blockNumber"::text AS "blockNumber", up."blockTimestamp"::text AS "blockTimestamp",
           v."contractAddress" AS "vaultAddress", u."walletAddress" AS "followerAddress", up."amount"::text AS "amount",
           up."action"::text AS "action"
      FROM up JOIN "Vault" v ON v.id = up."vaultId" JOIN "User" u ON u.id = up."userId"
    UNION ALL
    SELECT c::text, h, l::text, queue, false, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM elsewhere`;
  return new Map(rows.map((r) => toRecorded('FollowerEvent', r)));
}

async function updateBalances(tx: Tx, vaultIds: number[], userIds: number[]): Promise<void> {
  const v = vaultIds.map(String);
  const u = userIds.map(String);
  await lockFollowerBalances(tx, vaultIds, userIds);
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

