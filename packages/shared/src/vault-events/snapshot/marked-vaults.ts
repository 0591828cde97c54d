import type { CalculateSnapshotInput } from '../../contract';
import type { Sql } from '../../platform';

// The snapshot requests a vault marked to recompute may never get otherwise: a migration that adds
// state derived by the fold marks every vault to fold again (the recompute-from position before
// every event, lock-protocol.ts rule 2), but the writers ask for a vault's snapshot only when it
// has a new event. The snapshot worker asks for these itself when it starts: a chunk of vaults at
// a time (one statement, then one request per vault), so the work is bounded however many vaults
// are marked. Several replicas starting at once ask twice; a snapshot request's deduplication id
// (one waiting job per vault) makes that one snapshot.

/** Marked vaults read (and requested) per statement. */
export const MARKED_VAULTS_CHUNK = 500;

/** Whoever sends the requests (the runner's Producer). */
export interface SnapshotRequester {
  calculateSnapshots(requests: readonly CalculateSnapshotInput[]): Promise<unknown>;
}

/** Asks for a snapshot of every vault marked to recompute, in vault id order, a chunk at a time; returns how many. */
export async function requestMarkedSnapshots(sql: Sql, requester: SnapshotRequester, chunk = MARKED_VAULTS_CHUNK): Promise<number> {
  let after = 0;
  let requested = 0;
  for (;;) {
    const rows = await sql.query<{ id: number; chainId: string; contractAddress: string }>`
      SELECT v.id, v."chainId"::text AS "chainId", v."contractAddress"
        FROM "VaultMetricsState" s JOIN "Vault" v ON v.id = s."vaultId"
       WHERE s."recomputeFromBlock" IS NOT NULL AND s."vaultId" > ${after}::int
       ORDER BY s."vaultId" LIMIT ${chunk}::int`;
    if (rows.length) await requester.calculateSnapshots(rows.map((r) => ({ chainId: Number(r.chainId), vaultAddress: r.contractAddress })));
    requested += rows.length;
    if (rows.length < chunk) return requested;
    after = rows[rows.length - 1]!.id;
  }
}
