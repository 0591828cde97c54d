import type { CalculateSnapshotInput } from '../../contract';
import type { Database } from '../../platform';
import { lockVaultsForWrite, markRecomputeFrom } from '../lock-protocol';

// The snapshot requests a vault marked to recompute may never get otherwise: a migration that adds
// state derived by the fold marks every vault to fold again (the recompute-from position before
// every event, lock-protocol.ts rule 2), but the writers ask for a vault's snapshot only when it
// has a new event. A vault that a previous release's worker folded after the migration (during a
// rolling update) lost its mark and has no series: a fold state without a series row (every fold
// of this release writes at least the open bucket's), which is marked again here, as `vaults-ops
// resnapshot --recompute` marks it (under the writers' lock). The snapshot worker asks for both
// itself when it starts, a chunk of vaults at a time (one statement, then one request per vault;
// marking those without a series is one transaction more), so the work is bounded however many
// vaults need it. Several replicas starting at once ask twice; a snapshot request's deduplication
// id (one waiting job per vault) makes that one snapshot.

/** Vaults read (and requested) per statement. */
export const MARKED_VAULTS_CHUNK = 500;

/** Whoever sends the requests (the runner's Producer). */
export interface SnapshotRequester {
  calculateSnapshots(requests: readonly CalculateSnapshotInput[]): Promise<unknown>;
}

interface NeedsFold {
  id: number;
  chainId: string;
  contractAddress: string;
  /** Folded without its series and not marked: to be marked before its request. */
  unmarked: boolean;
}

/**
 * Asks for a snapshot of every vault marked to recompute or folded without its series (marked
 * first), in vault id order, a chunk at a time; returns how many.
 */
export async function requestMarkedSnapshots(db: Database, requester: SnapshotRequester, chunk = MARKED_VAULTS_CHUNK): Promise<number> {
  return requestInPages<NeedsFold>(requester, chunk, async (after) => {
    const rows = await db.sql.query<NeedsFold>`
      SELECT v.id, v."chainId"::text AS "chainId", v."contractAddress", s."recomputeFromBlock" IS NULL AS unmarked
        FROM "VaultMetricsState" s JOIN "Vault" v ON v.id = s."vaultId"
       WHERE s."vaultId" > ${after}::int
         AND (s."recomputeFromBlock" IS NOT NULL
              OR (s."eventsFolded" > 0 AND NOT EXISTS (SELECT 1 FROM "VaultSeries" r WHERE r."vaultId" = s."vaultId")))
       ORDER BY s."vaultId" LIMIT ${chunk}::int`;
    await markFromOrigin(db, rows.filter((r) => r.unmarked).map(requestOf));
    return rows;
  });
}

/** A vault row as a snapshot request. */
const requestOf = (r: { chainId: string; contractAddress: string }) => ({ chainId: Number(r.chainId), vaultAddress: r.contractAddress });

/**
 * Pages through vaults in id order, `chunk` at a time: `page(after)` reads (and prepares) the
 * next rows after vault id `after`, and their snapshots are requested; returns how many.
 */
export async function requestInPages<R extends { id: number; chainId: string; contractAddress: string }>(
  requester: SnapshotRequester,
  chunk: number,
  page: (after: number) => Promise<R[]>,
): Promise<number> {
  let after = 0;
  let requested = 0;
  for (;;) {
    const rows = await page(after);
    if (rows.length) await requester.calculateSnapshots(rows.map(requestOf));
    requested += rows.length;
    if (rows.length < chunk) return requested;
    after = rows[rows.length - 1]!.id;
  }
}

/**
 * The recompute-from mark before every event ((-1, -1): the next fold starts from the origin), in
 * one transaction under the writers' lock (rule 2), so no snapshot folds while it is set; returns
 * how many of the vaults exist.
 */
export async function markFromOrigin(db: Database, vaults: readonly CalculateSnapshotInput[]): Promise<number> {
  if (!vaults.length) return 0;
  return db.transaction(async (tx) => {
    const { vaults: locked } = await lockVaultsForWrite(tx, [...vaults]);
    await markRecomputeFrom(tx, locked.map((v) => ({ vaultId: v.id, blockNumber: -1, logIndex: -1 })));
    return locked.length;
  });
}
