import { defineService, findVaultIds } from '@vaults/shared';
import { advanceSnapshot } from './store';

/** CalculateSnapshot: bring the vault's TVL, ROI and drawdown up to date (incrementally). */
export const snapshotWorker = defineService({
  name: 'snapshot-worker',
  queue: 'snapshot',
  createDeps: ({ db, config, metrics }) => ({ db, config, metrics }),
  handlers: {
    CalculateSnapshot: async (request, { db, config, metrics }, { log }) => {
      const [vaultId] = (await findVaultIds(db.sql, [request])).values();
      if (vaultId === undefined) {
        // Nothing to compute: a vault with events always exists before its snapshot is asked for.
        log.info({ vaultAddress: request.vaultAddress }, 'snapshot of an unknown vault: nothing to do');
        return;
      }
      const stop = metrics.dbTransactionDuration.startTimer({ operation: 'snapshot' });
      try {
        const result = await db.transaction((tx) => advanceSnapshot(tx, vaultId, config.snapshotCheckpointEvery));
        log.debug({ vaultId, ...result }, 'snapshot done');
      } finally {
        stop();
      }
    },
  },
});
