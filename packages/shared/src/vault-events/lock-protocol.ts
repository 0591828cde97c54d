import type { Tx } from '../platform';

// The lock protocol of vault events, in one place. Every advisory-lock key space, the rule
// between the writers and the snapshot, the recompute-from position and the checkpoints live
// here; callers name what they do (lockVaultsForWrite, lockVaultForSnapshot, ...) and never
// build a lock key themselves.
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
//    deploys. The two-int form (namespace, id) and the bigint form are distinct key spaces in
//    Postgres (pg_locks objsubid 2 and 1), so they cannot collide.

/** Two-int key space: (VAULT_METRICS, vault id). */
const VAULT_METRICS = 1;

/** Rule 1, writer side: shared, per vault of the batch, until commit. */
export async function lockVaultsForWrite(tx: Tx, vaultIds: number[]): Promise<void> {
  const ids = [...new Set(vaultIds)].sort((a, b) => a - b);
  if (!ids.length) return;
  await tx.query`
    SELECT count(pg_advisory_xact_lock_shared(${VAULT_METRICS}::int, id))::int AS n
      FROM (SELECT unnest(${ids.map(String)}::text[]::int[]) AS id ORDER BY 1) AS ordered`;
}

declare const held: unique symbol;
/** What startFold and finishFold require: this transaction holds the vault's snapshot lock (rule 1). */
export interface SnapshotLock {
  readonly vaultId: number;
  readonly [held]: true;
}

/** Rule 1, snapshot side: exclusive, for the whole fold. */
export async function lockVaultForSnapshot(tx: Tx, vaultId: number): Promise<SnapshotLock> {
  await tx.query`SELECT pg_advisory_xact_lock(${VAULT_METRICS}::int, ${vaultId}::int)::text AS locked`;
  return { vaultId } as SnapshotLock;
}

/**
 * Rule 1, snapshot side, for a vault known by its address: the id look-up and the lock in one
 * statement; undefined (no lock taken) when no such vault exists. The look-up reads the snapshot
 * taken before the lock wait, which is fine for the id (it never changes) and for "no such vault"
 * (a deploy not committed yet is not known yet, as with a look-up of its own); nothing else may
 * be read here: see startFold.
 */
export async function lockVaultForSnapshotByAddress(tx: Tx, chainId: number, vaultAddress: string): Promise<SnapshotLock | undefined> {
  const [row] = await tx.query<{ id: number }>`
    SELECT id, pg_advisory_xact_lock(${VAULT_METRICS}::int, id)::text AS locked
      FROM "Vault" WHERE "chainId" = ${String(chainId)}::bigint AND "contractAddress" = ${vaultAddress}`;
  return row && ({ vaultId: row.id } as SnapshotLock);
}

/** A (vault, follower) balance: recomputed from the ledger by one transaction at a time. Pairs sorted. */
export async function lockFollowerBalances(tx: Tx, vaultIds: number[], userIds: number[]): Promise<void> {
  await tx.query`
    SELECT count(pg_advisory_xact_lock(hashtextextended('follower:' || v || ':' || u, 0)))::int AS n
      FROM (SELECT * FROM unnest(${vaultIds.map(String)}::text[]::int[], ${userIds.map(String)}::text[]::int[]) AS p(v, u) ORDER BY v, u) AS ordered`;
}

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
  await tx.execute`
    UPDATE "VaultMetricsState" s
       SET "recomputeFromBlock" = c.b, "recomputeFromLogIndex" = c.l
      FROM unnest(${rows.map((r) => String(r.vaultId))}::text[]::int[],
                  ${rows.map((r) => String(r.blockNumber))}::text[]::bigint[],
                  ${rows.map((r) => String(r.logIndex))}::text[]::bigint[]) AS c(v, b, l)
     WHERE s."vaultId" = c.v
       AND (s."blockNumber", s."logIndex") >= (c.b, c.l)
       AND (s."recomputeFromBlock" IS NULL OR (s."recomputeFromBlock", s."recomputeFromLogIndex") > (c.b, c.l))`;
}

/**
 * Where a fold stands: the last folded position (blockNumber, logIndex, txHash, source: 0 a
 * follower event, 1 a trade, which makes it unique) and the share-price state there.
 */
export interface FoldPoint {
  blockNumber: bigint;
  logIndex: bigint;
  txHash: string;
  source: number;
  equity: bigint;
  sharePrice: number;
  peak: number;
  maxDrawdown: number;
  eventsFolded: bigint;
}

/** Before any event: the position sorts before every event's. */
export const ORIGIN: Readonly<FoldPoint> = Object.freeze({
  blockNumber: -1n, logIndex: -1n, txHash: '', source: 0, equity: 0n, sharePrice: 1, peak: 1, maxDrawdown: 0, eventsFolded: 0n,
});


/** A vault's metrics as its Vault row shows them (tvl as numeric text). */
export interface PublishedMetrics {
  tvl: string;
  roi: number;
  drawdown: number;
}

export interface FoldStart {
  point: FoldPoint;
  resumedFrom: 'state' | 'checkpoint' | 'origin';
  /** The Vault row's metrics now (read under the lock): a fold that changed nothing need not write them again. */
  published: PublishedMetrics | undefined;
}

type PointRow = Omit<FoldPoint, 'equity'> & { equity: string };
type StartRow = PointRow & { kind: 'state' | 'checkpoint'; recomputeFromBlock: string | null } & { [K in keyof PublishedMetrics]: PublishedMetrics[K] | null };

/**
 * Rule 3: where the fold resumes: the stored state (created at the origin on the first fold),
 * or, with a recompute-from position set, the newest checkpoint before it (the origin if none),
 * the later checkpoints deleted. One statement, which must not be the one that took the lock: a
 * statement reads the snapshot taken when it started, so reading the state in the statement that
 * waited for the lock could miss a recompute-from position that a writer committed during the
 * wait. Taken after the lock, this statement sees every writer that marked this vault, and no
 * writer can mark it until commit (they wait for the lock, rule 1). Within the statement, the
 * checkpoint read (before the position) and the delete (at or after it) touch disjoint rows, so
 * it does not matter that the read does not see the delete.
 */
export async function startFold(tx: Tx, lock: SnapshotLock): Promise<FoldStart> {
  const v = lock.vaultId;
  const rows = await tx.query<StartRow>`
    WITH created AS (
      INSERT INTO "VaultMetricsState" ("vaultId") VALUES (${v}::int) ON CONFLICT DO NOTHING
      RETURNING "blockNumber", "logIndex", "txHash", "source", "equity", "sharePrice", "peak", "maxDrawdown", "eventsFolded",
                "recomputeFromBlock", "recomputeFromLogIndex"
    ), state AS (
      -- Exactly one row: the one just created (which this statement's snapshot cannot see in the table), or the stored one.
      SELECT * FROM created
      UNION ALL
      SELECT "blockNumber", "logIndex", "txHash", "source", "equity", "sharePrice", "peak", "maxDrawdown", "eventsFolded",
             "recomputeFromBlock", "recomputeFromLogIndex"
        FROM "VaultMetricsState" WHERE "vaultId" = ${v}::int
    ), checkpoint AS (
      SELECT c.* FROM state s JOIN "VaultCheckpoint" c
          ON c."vaultId" = ${v}::int AND (c."blockNumber", c."logIndex") < (s."recomputeFromBlock", s."recomputeFromLogIndex")
       WHERE s."recomputeFromBlock" IS NOT NULL
       ORDER BY c."blockNumber" DESC, c."logIndex" DESC, c."txHash" DESC, c."source" DESC LIMIT 1
    ), dropped AS (
      DELETE FROM "VaultCheckpoint" c USING state s
       WHERE s."recomputeFromBlock" IS NOT NULL AND c."vaultId" = ${v}::int
         AND (c."blockNumber", c."logIndex") >= (s."recomputeFromBlock", s."recomputeFromLogIndex")
    )
    SELECT 'state' AS kind, s."blockNumber", s."logIndex", s."txHash", s."source", s."equity"::text AS equity, s."sharePrice", s."peak",
           s."maxDrawdown", s."eventsFolded", s."recomputeFromBlock", v."tvl"::text AS tvl, v."roi", v."drawdown"
      FROM state s LEFT JOIN "Vault" v ON v.id = ${v}::int
    UNION ALL
    SELECT 'checkpoint', "blockNumber", "logIndex", "txHash", "source", "equity"::text, "sharePrice", "peak", "maxDrawdown", "eventsFolded",
           NULL, NULL, NULL, NULL
      FROM checkpoint`;
  const state = rows.find((r) => r.kind === 'state')!;
  const cp = rows.find((r) => r.kind === 'checkpoint');
  const published = state.tvl === null ? undefined : { tvl: state.tvl, roi: state.roi!, drawdown: state.drawdown! };
  if (state.recomputeFromBlock === null) return { point: fromRow(state), resumedFrom: 'state', published };
  return cp ? { point: fromRow(cp), resumedFrom: 'checkpoint', published } : { point: { ...ORIGIN }, resumedFrom: 'origin', published };
}

/**
 * Rules 2 and 3, and the result: the checkpoints the fold passed (one every N events), the
 * fold's new position with the recompute-from position cleared, and the metrics on the Vault
 * row, in one statement at the end of the fold (the fold is invisible until commit either way).
 * It must come after startFold's statement: its inserts run under their own snapshot, which sees
 * the checkpoints startFold deleted as gone, so a checkpoint re-made at a deleted one's position
 * is written, not skipped by ON CONFLICT. The three writes touch three different tables.
 */
export async function finishFold(tx: Tx, lock: SnapshotLock, s: FoldPoint, checkpoints: FoldPoint[], metrics: PublishedMetrics): Promise<void> {
  const v = lock.vaultId;
  const col = <K extends keyof FoldPoint>(k: K) => checkpoints.map((c) => String(c[k]));
  await tx.execute`
    WITH checkpoints AS (
      INSERT INTO "VaultCheckpoint" ("vaultId", "blockNumber", "logIndex", "txHash", "source", "equity", "sharePrice", "peak", "maxDrawdown", "eventsFolded")
      SELECT ${v}::int, * FROM unnest(${col('blockNumber')}::text[]::bigint[], ${col('logIndex')}::text[]::bigint[], ${col('txHash')}::text[],
                                      ${col('source')}::text[]::int[], ${col('equity')}::text[]::numeric[], ${col('sharePrice')}::text[]::float8[],
                                      ${col('peak')}::text[]::float8[], ${col('maxDrawdown')}::text[]::float8[], ${col('eventsFolded')}::text[]::bigint[])
      ON CONFLICT DO NOTHING
    ), state AS (
      UPDATE "VaultMetricsState"
         SET "blockNumber" = ${String(s.blockNumber)}::bigint, "logIndex" = ${String(s.logIndex)}::bigint,
             "txHash" = ${s.txHash}, "source" = ${s.source}::int, "equity" = ${s.equity.toString()}::numeric, "sharePrice" = ${s.sharePrice}::float8,
             "peak" = ${s.peak}::float8, "maxDrawdown" = ${s.maxDrawdown}::float8,
             "eventsFolded" = ${String(s.eventsFolded)}::bigint,
             "recomputeFromBlock" = NULL, "recomputeFromLogIndex" = NULL, "updatedAt" = now()
       WHERE "vaultId" = ${v}::int
    )
    UPDATE "Vault" SET "tvl" = ${metrics.tvl}::numeric, "roi" = ${metrics.roi}::float8, "drawdown" = ${metrics.drawdown}::float8, "updatedAt" = now()
     WHERE id = ${v}::int`;
}

function fromRow(r: PointRow): FoldPoint {
  return {
    blockNumber: BigInt(r.blockNumber),
    logIndex: BigInt(r.logIndex),
    txHash: r.txHash,
    source: Number(r.source),
    equity: BigInt(r.equity),
    sharePrice: r.sharePrice,
    peak: r.peak,
    maxDrawdown: r.maxDrawdown,
    eventsFolded: BigInt(r.eventsFolded),
  };
}
