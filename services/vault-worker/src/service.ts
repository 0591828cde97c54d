import type { ServiceDefinition, VaultDeployed } from '@vaults/shared';
import { processVaultDeployed, type VaultDeps } from './processor';
import { recordDeploy } from './store';

export const vaultWorker: ServiceDefinition<VaultDeps> = {
  name: 'vault-worker',
  queue: 'vault',
  defaults: { concurrency: 20, metricsPort: 9101 },
  handlers: {
    VaultDeployed: async (payload: VaultDeployed, deps) => {
      await processVaultDeployed(payload, deps);
    },
  },
  createDeps: ({ db, metrics }) => ({
    record: async (event) => {
      const stop = metrics.dbTransactionDuration.startTimer({ operation: 'record_deploy' });
      try {
        return await db.transaction((tx) => recordDeploy(tx, event));
      } finally {
        stop();
      }
    },
  }),
};
