import { findVaultIds, type CalculateSnapshot, type ServiceDefinition } from '@vaults/shared';
import { processSnapshot, type SnapshotDeps } from './processor';
import { recomputeSnapshot } from './store';

export const snapshotWorker: ServiceDefinition<SnapshotDeps> = {
  name: 'snapshot-worker',
  queue: 'snapshot',
  defaults: { concurrency: 2, metricsPort: 9104 },
  handlers: {
    CalculateSnapshot: async (payload: CalculateSnapshot, deps, { log }) => {
      await processSnapshot(payload, deps, log);
    },
  },
  createDeps: ({ db, config, metrics }) => ({
    findVaultId: async (chainId, vaultAddress) => (await findVaultIds(db.sql, [{ chainId, vaultAddress }])).values().next().value,
    recompute: async (vaultId) => {
      const stop = metrics.dbTransactionDuration.startTimer({ operation: 'snapshot' });
      try {
        return await db.transaction((tx) => recomputeSnapshot(tx, vaultId, config.snapshotCheckpointEvery));
      } finally {
        stop();
      }
    },
  }),
};
