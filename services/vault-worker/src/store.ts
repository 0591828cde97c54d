import { ensureUsers, type Tx, type VaultDeployed } from '@vaults/shared';

export type DeployOutcome = { vaultId: number; status: 'ACTIVE' | 'REMOVED' };

/**
 * Records one VaultDeployed in the caller's transaction and derives the vault row from the
 * ledger of the vault's deploy events, so the row is a pure function of the events whatever
 * their order:
 * - status ACTIVE while at least one deploy identity is not removed, REMOVED otherwise;
 * - name, base asset and leader from the earliest non-removed deploy by position (or the
 *   earliest deploy, when all are removed). A vault normally has one deploy; this only decides
 *   what a second one at the same address (a re-deploy after a re-organisation) means.
 */
export async function recordDeploy(tx: Tx, e: VaultDeployed): Promise<DeployOutcome> {
  await tx.$queryRaw`
    SELECT pg_advisory_xact_lock(hashtextextended('vault:' || ${String(e.chainId)} || ':' || ${e.vaultAddress}, 0))::text AS locked`;
  await ensureUsers(tx, [e.leader]);
  await tx.$executeRaw`
    INSERT INTO "VaultDeployEvent" ("chainId", "txHash", "logIndex", "vaultAddress", "leaderAddress", "name",
                                    "baseAsset", "blockNumber", "blockTimestamp", "removed")
    VALUES (${String(e.chainId)}::bigint, ${e.txHash}, ${String(e.logIndex)}::bigint, ${e.vaultAddress}, ${e.leader},
            ${e.name}, ${e.baseAsset}, ${String(e.blockNumber)}::bigint, ${String(e.blockTimestamp)}::bigint, ${e.removed})
    ON CONFLICT ("chainId", "txHash", "logIndex")
      DO UPDATE SET "removed" = "VaultDeployEvent"."removed" OR EXCLUDED."removed"`;
  const [vault] = await tx.$queryRaw<DeployOutcome[]>`
    WITH deploys AS (
      SELECT * FROM "VaultDeployEvent"
       WHERE "chainId" = ${String(e.chainId)}::bigint AND "vaultAddress" = ${e.vaultAddress}
    ),
    canonical AS (
      SELECT d.*, u.id AS "leaderId" FROM deploys d JOIN "User" u ON u."walletAddress" = d."leaderAddress"
       ORDER BY d."removed", d."blockNumber", d."logIndex", d."txHash" LIMIT 1
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
