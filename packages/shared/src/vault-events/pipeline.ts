import { RetryLaterError } from '../contract';
import { Batcher, type Infra, type Outcome, type Producer, type Tx } from '../platform';
import type { RecordOutcome } from './ledger';

// What the trade and follower services call per job: record the event (group-committed with
// concurrent jobs), then ask for its vault's snapshot.

/** An on-chain event that belongs to a vault (a trade or a follower event). */
export interface VaultEvent {
  chainId: number;
  vaultAddress: string;
}

export interface VaultEventRecorder<E> {
  /**
   * Records the event exactly once, then requests its vault's snapshot. The snapshot is requested
   * even when the event was already recorded: a crash between the commit and the request must
   * not leave the vault's metrics stale. A vault not known yet is not an error of the payload:
   * RetryLaterError, and the runner retries with back-off.
   */
  record(event: E): Promise<RecordOutcome>;
  /** Flushes the events waiting for their batch (after the worker has stopped). */
  close(): Promise<void>;
}

/**
 * The recorder of one service: `write` (recordTrades, recordFollowerEvents) runs on batches of up
 * to BATCH_MAX_SIZE concurrent events in one transaction, measured under `operation`.
 */
export function vaultEventRecorder<E extends VaultEvent>(
  infra: Pick<Infra, 'db' | 'config' | 'metrics' | 'producer'>,
  operation: string,
  write: (tx: Tx, events: E[]) => Promise<Outcome<RecordOutcome>[]>,
): VaultEventRecorder<E> {
  const { db, config, metrics } = infra;
  const batcher = new Batcher<E, RecordOutcome>({
    maxSize: config.batchMaxSize,
    maxWaitMs: config.batchMaxWaitMs,
    onFlush: (size) => metrics.batchSize.observe({ operation }, size),
    flush: async (events) => {
      const stop = metrics.dbTransactionDuration.startTimer({ operation });
      try {
        return await db.transaction((tx) => write(tx, events));
      } finally {
        stop();
      }
    },
  });
  const snapshots = new SnapshotRequests(infra.producer);
  return {
    async record(event) {
      const outcome = await batcher.submit(event);
      if (outcome === 'vault-unknown') {
        throw new RetryLaterError(`vault ${event.vaultAddress} on chain ${event.chainId} is not known yet`);
      }
      await snapshots.request(event.chainId, event.vaultAddress);
      return outcome;
    },
    close: () => batcher.drain(),
  };
}

/**
 * Asks for a vault's snapshot after an effect was committed. Requests for one vault that arrive
 * before the previous request was sent share one `add` (a batch of 100 trades of one vault sends
 * one), and BullMQ's deduplication keeps at most one waiting snapshot per vault in Redis.
 * A request made after an add was sent always sends another: that add's snapshot may already be
 * running and not see the newer commit.
 */
export class SnapshotRequests {
  private readonly scheduled = new Map<string, Promise<void>>();

  constructor(private readonly producer: Pick<Producer, 'calculateSnapshot'>) {}

  request(chainId: number, vaultAddress: string): Promise<void> {
    const key = `${chainId}:${vaultAddress}`;
    let pending = this.scheduled.get(key);
    if (!pending) {
      pending = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.scheduled.delete(key);
        await this.producer.calculateSnapshot({ chainId, vaultAddress });
      });
      this.scheduled.set(key, pending);
    }
    return pending;
  }
}
