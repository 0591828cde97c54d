import { sqlFragment, type SqlFragment, type Tx } from '../platform';

// The lock protocol of vault events, in one place: every advisory-lock key space, the rule
// between the writers and the snapshot, the recompute-from mark and the snapshot-due mark. The
// snapshot's side of rules 2, 3 and 6 (the fold's stored state, its checkpoints, the deleted
// mark) is in fold-state.ts. Callers name what
// they do (lockVaultsForWrite, lockVaultForSnapshot, ...) and never build a lock key themselves
// (one exception, documented below: the follower ledger statement takes the balance locks
// itself, to save a round trip).
//
// 1. Writers of trades and follower events hold VAULT_METRICS shared on each vault of their
//    batch until commit; the snapshot holds it exclusively while it folds. So writers never wait
//    for each other, and a snapshot never misses an event committed under its feet: it folds
//    either before a writer's commit (which then marks the position, rule 2) or after it.
// 2. The snapshot folds a vault's events in position order up to a position and stores it
//    (VaultMetricsState). A writer that inserts or removes an event at or before that position
//    sets the recompute-from position (recomputeFromBlock/LogIndex) to the earliest such event.
//    Events after the folded position need nothing: the next fold reads them anyway.
// 3. The next snapshot resumes from the newest checkpoint (VaultCheckpoint, one every N events)
//    strictly before the recompute-from position, deletes the later ones, and clears it.
// 4. Locks are taken in one order (ids sorted) within one statement: no deadlocks. Two further
//    key spaces serialise what is not per vault: a (vault, follower) balance and a vault's
//    deploys. A third, per vault, is only ever tried, never waited for: the writer inserting a
//    vault's snapshot-due mark (rule 6). The two-int form (namespace, id) and the bigint form are distinct key spaces in
//    Postgres (pg_locks objsubid 2 and 1), so they cannot collide.
// 5. The snapshot worker does not queue for the lock: it tries it (pg_try_advisory_xact_lock) and,
//    when writers hold it, gives up and runs again a little later (its job re-queued with a short
//    delay); only a snapshot that found it held several times in a row waits. Postgres queues a
//    lock request behind every earlier conflicting request, granted or not, so a snapshot waiting
//    for its exclusive lock would make every later writer of that vault wait too, behind writers
//    that may themselves wait for their batch. Giving up loses nothing: the job runs again, and
//    the writers' marks (rule 6) stay until a snapshot folds the vault.
// 6. The snapshot-due mark (VaultSnapshotDue, one row per vault): a writer's batch, as its last
//    statement, inserts the mark of each vault it applied an event to, under its shared lock;
//    after commit it asks for the snapshot of the vaults whose mark it inserted, and only those
//    (and of those whose mark another writer was inserting at that moment: it cannot know whether
//    that one commits, and does not wait to learn it; markSnapshotDue). The snapshot deletes the
//    mark under its exclusive lock, in its fold's first statement after the lock (startFold). So
//    a committed mark that a writer finds was set by a writer that asks (or whose job, redelivered,
//    asks: an event already recorded always asks, whatever the mark), and that request's snapshot
//    takes the lock after this writer's commit: it folds this writer's events too. A writer that
//    commits after a snapshot finds no mark and asks again. A mark can outlive its request (the snapshot job
//    failed for good, a redelivered event's job failed for good, a previous release's snapshot
//    worker folded without deleting it): the snapshot worker asks again, at start-up and every
//    SNAPSHOT_DUE_SWEEP_MS, for every mark older than that (snapshot/due-vaults.ts).

/** Two-int key space: (VAULT_METRICS, vault id). */
const VAULT_METRICS = 1;

/** A vault by its chain and (canonical, lower-case) contract address. */
export interface VaultKey {
  chainId: number;
  vaultAddress: string;
}

/** A VaultKey as a map key. */
export function vaultKeyString(k: VaultKey): string {
  return `${k.chainId}:${k.vaultAddress}`;
}

/** A vault a writer's batch names: its chain and (canonical, lower-case) contract address. */
export interface WriteVault extends VaultKey {
  /** A follower event's follower: its user is created in the same statement, once the locks are held. */
  followerAddress?: string;
}

/** A vault found by lockVaultsForWrite, its shared lock held. */
export interface LockedVault {
  id: number;
  chainId: string;
  contractAddress: string;
}

/**
 * Rule 1, writer side: shared, per vault of the batch, until commit; one statement that also
 * looks the vaults up (those not deployed yet are absent from `vaults` and not locked) and
 * creates the users of the followers of events whose vault exists (`createdUsers`: the ids it
 * inserted; see ensureUsers for why their ids are looked up by a later statement).
 * - The lookup's snapshot does not matter: a vault row never changes id. What matters is that
 *   the lock is held before any later statement of the transaction reads VaultMetricsState, and
 *   it is: each later statement takes its snapshot after this one returned.
 * - The subquery (ORDER BY id, OFFSET 0 so it stays a subquery) hands the ids to the lock
 *   function in order (rule 4).
 * - The users are inserted after every vault lock is held, as when these were two statements:
 *   the insert's rows are gated by an uncorrelated subquery over all of `locked` (an InitPlan,
 *   run before the first row). A writer waiting for another's new user row thus never holds a
 *   user row while queued for a vault lock behind a snapshot's exclusive request.
 */
export async function lockVaultsForWrite(tx: Tx, events: WriteVault[]): Promise<{ vaults: LockedVault[]; createdUsers: number[] }> {
  const unique = [...new Map(events.map((k) => [`${k.chainId}:${k.vaultAddress}:${k.followerAddress ?? ''}`, k])).values()];
  if (!unique.length) return { vaults: [], createdUsers: [] };
  if (unique.every((k) => k.followerAddress === undefined)) return { vaults: await lockVaults(tx, unique), createdUsers: [] };
  const rows = await tx.query<LockedVault & { createdUser: number | null }>`
    WITH k AS (
      SELECT * FROM unnest(${unique.map((k) => String(k.chainId))}::text[]::bigint[], ${unique.map((k) => k.vaultAddress)}::text[],
                           ${unique.map((k) => k.followerAddress ?? null)}::text[]) AS k(c, a, f)
    ),
    locked AS (
      SELECT o.id, o."chainId", o."contractAddress", pg_advisory_xact_lock_shared(${VAULT_METRICS}::int, o.id)::text AS locked
        FROM (SELECT v.id, v."chainId", v."contractAddress" FROM "Vault" v
               WHERE (v."chainId", v."contractAddress") IN (SELECT c, a FROM k)
               ORDER BY v.id OFFSET 0) AS o
    ),
    users AS (
      INSERT INTO "User" ("walletAddress")
      SELECT DISTINCT k.f FROM k JOIN locked l ON (l."chainId", l."contractAddress") = (k.c, k.a)
       WHERE k.f IS NOT NULL AND (SELECT count(*) FROM locked) > 0
       ORDER BY k.f
      ON CONFLICT ("walletAddress") DO NOTHING
      RETURNING id
    )
    SELECT id, "chainId"::text AS "chainId", "contractAddress", NULL::int AS "createdUser" FROM locked
    UNION ALL
    SELECT NULL, NULL, NULL, id FROM users`;
  return {
    vaults: rows.filter((r) => r.createdUser === null),
    createdUsers: rows.filter((r) => r.createdUser !== null).map((r) => Number(r.createdUser)),
  };
}

/** lockVaultsForWrite without users (trades): the same lookup and locks, a smaller statement to plan. */
async function lockVaults(tx: Tx, vaults: WriteVault[]): Promise<LockedVault[]> {
  return tx.query<LockedVault>`
    SELECT o.id, o."chainId"::text AS "chainId", o."contractAddress", pg_advisory_xact_lock_shared(${VAULT_METRICS}::int, o.id)::text AS locked
      FROM (SELECT v.id, v."chainId", v."contractAddress" FROM "Vault" v
              JOIN unnest(${vaults.map((k) => String(k.chainId))}::text[]::bigint[], ${vaults.map((k) => k.vaultAddress)}::text[]) AS k(c, a)
                ON v."chainId" = k.c AND v."contractAddress" = k.a
             ORDER BY v.id OFFSET 0) AS o`;
}

/** Two-int key space: (SNAPSHOT_DUE, vault id), held by a writer while it inserts a vault's mark (rule 6). */
const SNAPSHOT_DUE = 2;

/**
 * Rule 6, writer side: the snapshot-due mark of each vault (those not deployed yet have none)
 * where absent; returns the `chainId:vaultAddress` keys of the vaults whose snapshot this batch
 * asks for: those whose mark it inserted, and those whose mark another writer is inserting
 * (uncommitted): an insert would wait for that writer's commit, which may still be a whole batch
 * away, and that writer may yet roll back; so this one asks too, without waiting. Who inserts
 * holds (SNAPSHOT_DUE, vault) until commit, taken with a try only where no mark is visible, so
 * the insert never meets another's uncommitted mark (a sweep's brief update aside), and a mark
 * committed meanwhile makes it insert nothing and ask nothing. The batch's last statement.
 */
export async function markSnapshotDue(tx: Tx, vaults: readonly WriteVault[]): Promise<Set<string>> {
  const unique = [...new Map(vaults.map((k) => [vaultKeyString(k), k])).values()];
  if (!unique.length) return new Set();
  const rows = await tx.query<{ chainId: string; contractAddress: string }>`
    WITH k AS MATERIALIZED (
      SELECT v.id, v."chainId", v."contractAddress",
             CASE WHEN EXISTS (SELECT 1 FROM "VaultSnapshotDue" d WHERE d."vaultId" = v.id) THEN NULL
                  ELSE pg_try_advisory_xact_lock(${SNAPSHOT_DUE}::int, v.id) END AS mine
        FROM "Vault" v
        JOIN unnest(${unique.map((k) => String(k.chainId))}::text[]::bigint[], ${unique.map((k) => k.vaultAddress)}::text[]) AS k(c, a)
          ON v."chainId" = k.c AND v."contractAddress" = k.a
    ),
    marked AS (
      INSERT INTO "VaultSnapshotDue" ("vaultId")
      SELECT id FROM k WHERE mine ORDER BY id
      ON CONFLICT ("vaultId") DO NOTHING
      RETURNING "vaultId"
    )
    SELECT "chainId"::text AS "chainId", "contractAddress" FROM k
     WHERE NOT mine OR id IN (SELECT "vaultId" FROM marked)`;
  return new Set(rows.map((r) => vaultKeyString({ chainId: Number(r.chainId), vaultAddress: r.contractAddress })));
}

/** A vault's metrics as its Vault row shows them (tvl as numeric text). */
export interface PublishedMetrics {
  tvl: string;
  roi: number;
  drawdown: number;
}

declare const held: unique symbol;
/** What startFold and finishFold require: this transaction holds the vault's snapshot lock (rule 1). */
export interface SnapshotLock {
  readonly vaultId: number;
  /**
   * The Vault row's metrics, read by the statement that took the lock: possibly from before the
   * lock wait. Good enough to tell "already right" (the fold then writes nothing): only snapshots
   * write these columns, each in one statement with the state (finishFold), so if a snapshot
   * committed during the wait, the current value is the metrics of the state read after the
   * lock anyway; if none did, this value is the current one. Undefined: no such row.
   */
  readonly published: PublishedMetrics | undefined;
  readonly [held]: true;
}

type PublishedRow = { [K in keyof PublishedMetrics]: PublishedMetrics[K] | null };
const published = (r: PublishedRow | undefined) => (r?.tvl == null ? undefined : { tvl: r.tvl, roi: r.roi!, drawdown: r.drawdown! });

/** Rule 1, snapshot side: exclusive, for the whole fold. */
export async function lockVaultForSnapshot(tx: Tx, vaultId: number): Promise<SnapshotLock> {
  const [row] = await tx.query<PublishedRow>`
    SELECT v."tvl"::text AS tvl, v."roi", v."drawdown"
      FROM (SELECT pg_advisory_xact_lock(${VAULT_METRICS}::int, ${vaultId}::int)) AS locked LEFT JOIN "Vault" v ON v.id = ${vaultId}::int`;
  return { vaultId, published: published(row) } as SnapshotLock;
}

/**
 * Rule 1, snapshot side, for a vault known by its address: the id look-up and the lock in one
 * statement; undefined (no lock taken) when no such vault exists. The look-up reads the snapshot
 * taken before the lock wait, which is fine for the id (it never changes), for "no such vault"
 * (a deploy not committed yet is not known yet, as with a look-up of its own) and for the Vault
 * metrics (see SnapshotLock); the state must not be read here: see startFold.
 */
export async function lockVaultForSnapshotByAddress(tx: Tx, chainId: number, vaultAddress: string): Promise<SnapshotLock | undefined> {
  const [row] = await tx.query<{ id: number } & PublishedRow>`
    SELECT id, pg_advisory_xact_lock(${VAULT_METRICS}::int, id)::text AS locked, "tvl"::text AS tvl, "roi", "drawdown"
      FROM "Vault" WHERE "chainId" = ${String(chainId)}::bigint AND "contractAddress" = ${vaultAddress}`;
  return row && ({ vaultId: row.id, published: published(row) } as SnapshotLock);
}

/** What tryLockVaultForSnapshotByAddress returns when another transaction holds the vault's lock. */
export const LOCK_BUSY = 'busy' as const;

/**
 * Rule 5: lockVaultForSnapshotByAddress without waiting. LOCK_BUSY (nothing held, nothing
 * queued: later writers are not held up) when writers, or another snapshot, hold the lock.
 */
export async function tryLockVaultForSnapshotByAddress(tx: Tx, chainId: number, vaultAddress: string): Promise<SnapshotLock | typeof LOCK_BUSY | undefined> {
  const [row] = await tx.query<{ id: number; locked: boolean } & PublishedRow>`
    SELECT id, pg_try_advisory_xact_lock(${VAULT_METRICS}::int, id) AS locked, "tvl"::text AS tvl, "roi", "drawdown"
      FROM "Vault" WHERE "chainId" = ${String(chainId)}::bigint AND "contractAddress" = ${vaultAddress}`;
  if (!row) return undefined;
  return row.locked ? ({ vaultId: row.id, published: published(row) } as SnapshotLock) : LOCK_BUSY;
}

// A (vault, follower) balance: recomputed from the ledger by one transaction at a time, under
// pg_advisory_xact_lock(hashtextextended('follower:' || vaultId || ':' || userId, 0)). Taken by
// the follower ledger statement itself (upsertFollowerLedger, record-follower-events.ts: pairs
// sorted, after its ledger rows), so that the balances' statement after it sees every committed
// event of its pairs; tests/workers/follower-statement.test.ts holds the key to this form.

/** A vault's deploys: one VaultDeployed of an address at a time derives its vault row. */
export async function lockVaultDeploys(tx: Tx, chainId: number, vaultAddress: string): Promise<void> {
  await tx.query`
    SELECT pg_advisory_xact_lock(hashtextextended('vault:' || ${String(chainId)} || ':' || ${vaultAddress}, 0))::text AS locked`;
}

/** A position whose event was inserted or removed (int8 columns come back from node-postgres as strings). */
export interface ChangedPosition {
  vaultId: number;
  blockNumber: number | bigint | string;
  logIndex: number | bigint | string;
}

/** Rule 2: the earliest changed position per vault becomes its recompute-from position when at or before the fold. */
export async function markRecomputeFrom(tx: Tx, changes: ChangedPosition[]): Promise<void> {
  const earliest = new Map<number, ChangedPosition>();
  for (const c of changes) {
    const e = earliest.get(c.vaultId);
    if (!e || BigInt(c.blockNumber) < BigInt(e.blockNumber) || (BigInt(c.blockNumber) === BigInt(e.blockNumber) && BigInt(c.logIndex) < BigInt(e.logIndex))) {
      earliest.set(c.vaultId, c);
    }
  }
  if (!earliest.size) return;
  const rows = [...earliest.values()];
  await tx.execute`${markRecomputeFromSql(sqlFragment`
    unnest(${rows.map((r) => String(r.vaultId))}::text[]::int[],
           ${rows.map((r) => String(r.blockNumber))}::text[]::bigint[],
           ${rows.map((r) => String(r.logIndex))}::text[]::bigint[]) AS c(v, b, l)`)}`;
}

/**
 * Rule 2's mark as SQL: each vault's recompute-from position moves back to the earliest changed
 * position given by `changes` (a FROM item `c` with columns v = vaultId, b = blockNumber,
 * l = logIndex, one row per vault), when that is at or before the folded position. Run by
 * markRecomputeFrom, and by the ledger statements as a CTE on the rows they changed.
 */
export function markRecomputeFromSql(changes: SqlFragment): SqlFragment {
  return sqlFragment`
    UPDATE "VaultMetricsState" s
       SET "recomputeFromBlock" = c.b, "recomputeFromLogIndex" = c.l
      FROM ${changes}
     WHERE s."vaultId" = c.v
       AND (s."blockNumber", s."logIndex") >= (c.b, c.l)
       AND (s."recomputeFromBlock" IS NULL OR (s."recomputeFromBlock", s."recomputeFromLogIndex") > (c.b, c.l))`;
}
