import {
  ensureUsers,
  invalidateMetricsFrom,
  recordVaultEvents,
  type FollowerEvent,
  type Outcome,
  type RecordOutcome,
  type Tx,
} from '@vaults/shared';

export type FollowerOutcome = RecordOutcome;

/**
 * Records a batch of follower events in the caller's transaction and brings each affected
 * (follower, vault) balance up to date from the ledger:
 * - the FollowerEvent row (the ledger entry) is upserted; its row lock serialises copies of one
 *   event, and `removed` only ever turns true;
 * - each affected pair's balance is recomputed as a SUM over its non-removed ledger rows under a
 *   per-pair advisory lock (so two concurrent events of one pair cannot both miss each other),
 *   never by read-modify-write of a running total;
 * - the subscription row exists iff the balance is > 0.
 * The follower's user is created as soon as the vault exists, removed event or not (rule 1).
 */
export function recordFollowerEvents(tx: Tx, events: FollowerEvent[]): Promise<Outcome<FollowerOutcome>[]> {
  return recordVaultEvents(tx, events, async (unique, vaultIdOf) => {
    const users = await ensureUsers(tx, unique.map((e) => e.followerAddress));

    const userOf = (e: FollowerEvent) => users.get(e.followerAddress)!;

    const rows = await tx.$queryRaw<
      { k: string; removed: boolean; inserted: boolean; vaultId: number; userId: number; blockNumber: bigint; logIndex: bigint }[]
    >`
      INSERT INTO "FollowerEvent" ("chainId", "txHash", "logIndex", "vaultId", "userId", "action", "amount",
                                   "blockNumber", "blockTimestamp", "removed")
      SELECT c, h, l, v, u, a::"FollowerAction", m, b, ts, r
        FROM unnest(${unique.map((e) => String(e.chainId))}::text[]::bigint[],
                    ${unique.map((e) => e.txHash)}::text[],
                    ${unique.map((e) => String(e.logIndex))}::text[]::bigint[],
                    ${unique.map((e) => String(vaultIdOf(e)))}::text[]::int[],
                    ${unique.map((e) => String(userOf(e)))}::text[]::int[],
                    ${unique.map((e) => e.action)}::text[],
                    ${unique.map((e) => e.amount)}::text[]::numeric[],
                    ${unique.map((e) => String(e.blockNumber))}::text[]::bigint[],
                    ${unique.map((e) => String(e.blockTimestamp))}::text[]::bigint[],
                    ${unique.map((e) => e.removed)}::boolean[]) AS x(c, h, l, v, u, a, m, b, ts, r)
      ON CONFLICT ("chainId", "txHash", "logIndex")
        DO UPDATE SET "removed" = "FollowerEvent"."removed" OR EXCLUDED."removed"
      RETURNING "chainId"::text || ':' || "txHash" || ':' || "logIndex"::text AS k, "removed",
                (xmax = 0) AS inserted, "vaultId", "userId", "blockNumber", "logIndex"`;

    // Effects changed by this batch: a new live event, or a removal (conservatively: any
    // removal that found its row, even one already removed).
    const changed = rows.filter((r) => (r.inserted ? !r.removed : r.removed));
    await invalidateMetricsFrom(tx, changed);

    const pairs = [...new Map(rows.map((r) => [`${r.vaultId}:${r.userId}`, r])).values()].sort(
      (a, b) => a.vaultId - b.vaultId || a.userId - b.userId,
    );
    await updateBalances(tx, pairs.map((p) => p.vaultId), pairs.map((p) => p.userId));

    return new Map(rows.map((r) => [r.k, r.removed ? 'removed' : r.inserted ? 'applied' : 'duplicate'] as const));
  });
}

async function updateBalances(tx: Tx, vaultIds: number[], userIds: number[]): Promise<void> {
  const v = vaultIds.map(String);
  const u = userIds.map(String);
  await tx.$queryRaw`
    SELECT count(pg_advisory_xact_lock(hashtextextended('follower:' || v || ':' || u, 0)))::int AS n
      FROM (SELECT * FROM unnest(${v}::text[]::int[], ${u}::text[]::int[]) AS p(v, u) ORDER BY v, u) AS ordered`;
  await tx.$executeRaw`
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

