import type { Database } from '../../platform';
import { MARKED_VAULTS_CHUNK, requestInPages, type SnapshotRequester } from './marked-vaults';

// The snapshot requests a snapshot-due mark may have lost (lock-protocol.ts, rule 6): a writer
// asks for a vault's snapshot only when its batch set the mark, and the snapshot deletes it. A
// mark that outlives its request (the snapshot job failed for good; a previous release's snapshot
// worker folded the vault without deleting it, during a rolling update) would keep the next
// writers from asking. The snapshot worker asks again for every mark older than its sweep
// interval, at start-up and every SNAPSHOT_DUE_SWEEP_MS, a chunk at a time (one statement, then
// one add per vault), and starts each such mark's age again, so a mark whose snapshot is merely
// queued behind others is asked for once per interval, not once per sweep. Replicas sweeping at
// once skip each other's rows (SKIP LOCKED); a request's deduplication id makes any repeat one
// snapshot.

/**
 * Asks for the snapshot of every vault whose mark is at least `olderThanMs` old (0: every mark),
 * in vault id order, a chunk at a time; returns how many.
 */
export async function requestDueSnapshots(db: Database, requester: SnapshotRequester, olderThanMs: number, chunk = MARKED_VAULTS_CHUNK): Promise<number> {
  return requestInPages(requester, chunk, (after) =>
    db.sql.query<{ id: number; chainId: string; contractAddress: string }>`
      WITH due AS (
        SELECT "vaultId" FROM "VaultSnapshotDue"
         WHERE "vaultId" > ${after}::int AND "markedAt" <= now() - ${olderThanMs}::int * interval '1 millisecond'
         ORDER BY "vaultId" LIMIT ${chunk}::int
           FOR UPDATE SKIP LOCKED
      ),
      aged AS (
        UPDATE "VaultSnapshotDue" d SET "markedAt" = now() FROM due WHERE d."vaultId" = due."vaultId" RETURNING d."vaultId"
      )
      SELECT v.id, v."chainId"::text AS "chainId", v."contractAddress" FROM aged JOIN "Vault" v ON v.id = aged."vaultId" ORDER BY v.id`,
  );
}
