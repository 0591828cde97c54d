-- The snapshot-due mark (packages/shared/src/vault-events/lock-protocol.ts, rule 6): a vault's row
-- exists from the writer batch that set it (and asked for the vault's snapshot) until a snapshot
-- folds the vault. Nothing to fill in: a vault without a mark gets one, and its add, from its
-- next batch.

-- CreateTable
CREATE TABLE "VaultSnapshotDue" (
    "vaultId" INTEGER NOT NULL,
    "markedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VaultSnapshotDue_pkey" PRIMARY KEY ("vaultId")
);

-- AddForeignKey
ALTER TABLE "VaultSnapshotDue" ADD CONSTRAINT "VaultSnapshotDue_vaultId_fkey" FOREIGN KEY ("vaultId") REFERENCES "Vault"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
