import { LOCK_BUSY, RetryLaterError, defineService, requestDueSnapshots, requestMarkedSnapshots, retryDelayMs, snapshotVault } from '@vaults/shared';

/**
 * Runs of one job that try the vault's lock (and re-queue the job when writers hold it) before
 * one waits for it: the lock protocol's rule 5. Waiting at last bounds how long a vault's
 * metrics can lag behind a vault that is written without a pause.
 */
export const SNAPSHOT_LOCK_TRIES = 5;

/** The short back-off between tries: 25-50 ms, then doubling, at most 400 ms. */
const BUSY_RETRY = { maxAttempts: SNAPSHOT_LOCK_TRIES, baseDelayMs: 50, maxDelayMs: 400 };

/** CalculateSnapshot: bring the vault's TVL, ROI, drawdown and series up to date (incrementally). */
export const snapshotWorker = defineService({
  name: 'snapshot-worker',
  queue: 'snapshot',
  createDeps: ({ db, config, metrics }) => ({ db, config, metrics }),
  // Vaults marked to fold again (a migration that adds derived state marks them all) and without a
  // new event would wait for one: asked for here, at every start (marked-vaults.ts); so would the
  // vaults whose snapshot-due mark lost its request (due-vaults.ts): every mark at start-up, then
  // those older than SNAPSHOT_DUE_SWEEP_MS, every SNAPSHOT_DUE_SWEEP_MS.
  onStarted: async ({ db }, { producer, log }) => {
    const vaults = await requestMarkedSnapshots(db, producer);
    log.info({ vaults }, 'snapshots requested for the vaults marked to recompute');
    const due = await requestDueSnapshots(db, producer, 0);
    log.info({ vaults: due }, 'snapshots requested for the vaults marked snapshot-due');
  },
  periodic: {
    intervalMs: (config) => config.snapshotDueSweepMs,
    run: async ({ db, config }, { producer, log }) => {
      const vaults = await requestDueSnapshots(db, producer, config.snapshotDueSweepMs);
      if (vaults) log.info({ vaults }, 'snapshots requested again for the vaults whose snapshot-due mark is older than the sweep interval');
    },
  },
  handlers: {
    CalculateSnapshot: async (request, { db, config, metrics }, { log, attempt }) => {
      const stop = metrics.dbTransactionDuration.startTimer({ operation: 'snapshot' });
      // The vault's look-up is the transaction's first statement (it takes the lock too). The
      // last try waits before the runner's own retry budget could run out.
      const wait = attempt >= Math.min(SNAPSHOT_LOCK_TRIES, config.retry.maxAttempts);
      const result = await db.transaction((tx) => snapshotVault(tx, request.chainId, request.vaultAddress, config.snapshotCheckpointEvery, {
        wait, pollMs: config.snapshotLockPollMs, bucketSeconds: config.seriesBucketSeconds,
      }));
      // A busy try is not a snapshot transaction: left out of its duration.
      if (result === LOCK_BUSY) throw new RetryLaterError(`vault ${request.vaultAddress}: writers hold its lock`, retryDelayMs(attempt, BUSY_RETRY));
      stop();
      if (result) log.debug(result, 'snapshot done');
      // Nothing to compute: a vault with events always exists before its snapshot is asked for.
      else log.info({ vaultAddress: request.vaultAddress }, 'snapshot of an unknown vault: nothing to do');
    },
  },
});
