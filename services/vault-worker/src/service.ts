import { defineService, recordDeploy } from '@vaults/shared';

/** VaultDeployed: the leader's user, the deploy in the ledger and the vault row, in one transaction. */
export const vaultWorker = defineService({
  name: 'vault-worker',
  queue: 'vault',
  createDeps: ({ db, metrics }) => ({ db, metrics }),
  handlers: {
    VaultDeployed: async (deploy, { db, metrics }) => {
      const stop = metrics.dbTransactionDuration.startTimer({ operation: 'record_deploy' });
      try {
        await db.transaction((tx) => recordDeploy(tx, deploy));
      } finally {
        stop();
      }
    },
  },
});
