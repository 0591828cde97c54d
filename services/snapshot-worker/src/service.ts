import { defineService } from '@vaults/shared';
import { snapshotVault } from './store';

/** CalculateSnapshot: bring the vault's TVL, ROI, drawdown and series up to date (incrementally). */
export const snapshotWorker = defineService({
  name: 'snapshot-worker',
  queue: 'snapshot',
  createDeps: ({ db, config, metrics }) => ({ db, config, metrics }),
  handlers: {
    CalculateSnapshot: async (request, { db, config, metrics }, { log }) => {
      const stop = metrics.dbTransactionDuration.startTimer({ operation: 'snapshot' });
      try {
        // The vault's look-up is the transaction's first statement (it takes the lock too).
        const result = await db.transaction((tx) => snapshotVault(tx, request.chainId, request.vaultAddress, config.snapshotCheckpointEvery, config.seriesBucketSeconds));
        if (result) log.debug(result, 'snapshot done');
        // Nothing to compute: a vault with events always exists before its snapshot is asked for.
        else log.info({ vaultAddress: request.vaultAddress }, 'snapshot of an unknown vault: nothing to do');
      } finally {
        stop();
      }
    },
  },
});
