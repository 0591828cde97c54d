import { QUEUES, type VaultDeployed } from '../contract';
import type { Tx } from '../platform';
import { conflictError, recordedAgreesWithExcluded, toRecorded, type Recorded } from './copies-agree';
import { adoptedCte, elsewhereCte } from './ledger-statements';
import { lockVaultDeploys } from './lock-protocol';
import { ensureUsers } from './users';

export type DeployOutcome = { vaultId: number; status: 'ACTIVE' | 'REMOVED' };

/**
 * The deploy use case: records one VaultDeployed in the caller's transaction and derives the vault row from the
 * ledger of the vault's deploy events, so the row is a pure function of the events whatever
 * their order:
 * - a copy that differs from the recorded deploy of its identity (or an identity recorded on
 *   another queue) fails with a ConflictingCopyError naming the first differing field;
 * - status ACTIVE while at least one deploy identity is not removed, REMOVED otherwise;
 * - name, base asset and leader from the earliest non-removed deploy by position (or the
 *   earliest deploy, when all are removed). A vault normally has one deploy; this only decides
 *   what a second one at the same address (a re-deploy after a re-organisation) means.
 */
export async function recordDeploy(tx: Tx, e: VaultDeployed): Promise<DeployOutcome> {
  await lockVaultDeploys(tx, e.chainId, e.vaultAddress);
  // The copy is settled before anything else is written: a conflicting one throws, and the
  // transaction (which then holds nothing but a ledger row left as it was) rolls back.
  const recorded = await upsertDeployLedger(tx, e);
  const conflict = conflictError('VaultDeployed', QUEUES.vault.name, e, recorded);
  if (conflict) throw conflict;
  await ensureUsers(tx, [e.leader]);
  const [vault] = await tx.query<DeployOutcome>`
    WITH deploys AS (
      SELECT * FROM "VaultDeployEvent"
       WHERE "chainId" = ${String(e.chainId)}::bigint AND "vaultAddress" = ${e.vaultAddress}
    ),
    canonical AS (
      SELECT d.*, u.id AS "leaderId" FROM deploys d JOIN "User" u ON u."walletAddress" = d."leaderAddress"
       ORDER BY d."removed", d."blockNumber", d."logIndex", d."blockHash" LIMIT 1
    )
    INSERT INTO "Vault" ("chainId", "contractAddress", "name", "baseAsset", "leaderId", "status")
    SELECT c."chainId", c."vaultAddress", c."name", c."baseAsset", c."leaderId",
           CASE WHEN EXISTS (SELECT 1 FROM deploys WHERE NOT "removed") THEN 'ACTIVE' ELSE 'REMOVED' END::"VaultStatus"
      FROM canonical c
    ON CONFLICT ("chainId", "contractAddress") DO UPDATE
      SET "name" = EXCLUDED."name", "baseAsset" = EXCLUDED."baseAsset", "leaderId" = EXCLUDED."leaderId",
          "status" = EXCLUDED."status", "updatedAt" = now()
    RETURNING id AS "vaultId", status::text AS status`;
  return vault!;
}

/**
 * One statement: an identity already on another queue's ledger is reported, not written;
 * otherwise the deploy is upserted, a copy's `removed` taking effect only when it agrees with
 * the recorded event, and the recorded event comes back to be compared with the copy.
 */
async function upsertDeployLedger(tx: Tx, e: VaultDeployed): Promise<Recorded> {
  const rows = await tx.query`
    WITH x AS (
      SELECT ${String(e.chainId)}::bigint AS c, ${e.blockHash}::text AS bh, ${String(e.logIndex)}::bigint AS l, ${e.txHash}::text AS h,
             ${e.vaultAddress}::text AS v, ${e.leader}::text AS ld, ${e.name}::text AS n, ${e.baseAsset}::text AS ba,
             ${String(e.blockNumber)}::bigint AS b, ${String(e.blockTimestamp)}::bigint AS ts, ${e.removed}::boolean AS r
    ),
    ${elsewhereCte('VaultDeployed')},
    ${adoptedCte('VaultDeployed')},
    up AS (
      INSERT INTO "VaultDeployEvent" AS d ("chainId", "blockHash", "logIndex", "txHash", "vaultAddress", "leaderAddress", "name",
                                           "baseAsset", "blockNumber", "blockTimestamp", "removed")
      SELECT x.c, x.bh, x.l, x.h, x.v, x.ld, x.n, x.ba, x.b, x.ts, x.r
        FROM x WHERE NOT EXISTS (SELECT 1 FROM elsewhere) AND NOT EXISTS (SELECT 1 FROM adopted)
      ON CONFLICT ("chainId", "blockHash", "logIndex") DO UPDATE
        SET "removed" = d."removed" OR (EXCLUDED."removed" AND ${recordedAgreesWithExcluded('VaultDeployed', 'd')})
      RETURNING d.*, (d.xmax = 0) AS inserted
    ),
    recorded AS (SELECT * FROM up UNION ALL SELECT * FROM adopted)
    SELECT x.c::text AS "chainId", x.bh AS "blockHash", x.l::text AS "logIndex", ${QUEUES.vault.name}::text AS queue, "removed", inserted,
           "txHash", "blockNumber"::text AS "blockNumber", "blockTimestamp"::text AS "blockTimestamp", "vaultAddress",
           "leaderAddress" AS leader, "name", "baseAsset"
      FROM recorded, x
    UNION ALL
    SELECT x.c::text, x.bh, x.l::text, queue, false, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM elsewhere, x`;
  return toRecorded('VaultDeployed', rows[0]!)[1];
}
