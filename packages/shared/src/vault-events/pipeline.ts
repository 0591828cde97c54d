import { RetryLaterError, type CalculateSnapshotInput } from '../contract';
import { Batcher, type Infra, type Outcome, type Producer, type Tx } from '../platform';
import type { RecordOutcome } from './copies-agree';
import { markSnapshotDue, vaultKeyString } from './lock-protocol';

// What the trade and follower services call per job: record the event (group-committed with
// concurrent jobs), then ask for its vault's snapshot when the batch set the vault's
// snapshot-due mark (lock-protocol.ts, rule 6) or the event was already recorded.

/** An on-chain event that belongs to a vault (a trade or a follower event). */
export interface VaultEvent {
  chainId: number;
  vaultAddress: string;
}

export interface VaultEventRecorder<E> {
  /**
   * Records the event exactly once, then requests its vault's snapshot if its batch set the
   * vault's snapshot-due mark (otherwise a request is on its way already: lock-protocol.ts,
   * rule 6). The snapshot is requested whatever the mark when the event was already recorded (or
   * removed): a crash between the commit and the request must not leave the vault's metrics
   * stale, and the redelivered job is the request the crash lost. A vault not known yet is not an
   * error of the payload: RetryLaterError, and the runner retries with back-off.
   */
  record(event: E): Promise<RecordOutcome>;
  /** Flushes the events waiting for their batch (after the worker has stopped). */
  close(): Promise<void>;
}

/**
 * The recorder of one service: `write` (recordTrades, recordFollowerEvents) runs on batches of up
 * to BATCH_MAX_SIZE concurrent events in one transaction, measured under `operation`, followed
 * by the snapshot-due marks of the vaults it applied events to (the transaction's last statement).
 */
export function vaultEventRecorder<E extends VaultEvent>(
  infra: Pick<Infra, 'db' | 'config' | 'metrics' | 'producer'>,
  operation: string,
  write: (tx: Tx, events: E[]) => Promise<Outcome<RecordOutcome>[]>,
): VaultEventRecorder<E> {
  const { db, config, metrics } = infra;
  const batcher = new Batcher<E, Recorded>({
    maxSize: config.batchMaxSize,
    maxWaitMs: config.batchMaxWaitMs,
    onFlush: (size) => metrics.batchSize.observe({ operation }, size),
    flush: async (events) => {
      const stop = metrics.dbTransactionDuration.startTimer({ operation });
      try {
        return await db.transaction(async (tx) => {
          const outcomes = await write(tx, events);
          const marked = await markSnapshotDue(tx, events.filter((_, i) => applied(outcomes[i])));
          return outcomes.map((o, i) => (o.ok ? { ok: true, value: { outcome: o.value, ask: o.value !== 'applied' || marked.has(vaultKeyString(events[i]!)) } } : o));
        });
      } finally {
        stop();
      }
    },
  });
  const snapshots = new SnapshotRequests(infra.producer);
  return {
    async record(event) {
      const { outcome, ask } = await batcher.submit(event);
      if (outcome === 'vault-unknown') {
        throw new RetryLaterError(`vault ${event.vaultAddress} on chain ${event.chainId} is not known yet`);
      }
      if (ask) await snapshots.request(event.chainId, event.vaultAddress);
      return outcome;
    },
    close: () => batcher.drain(),
  };
}

/** An event's outcome, and whether its job asks for its vault's snapshot. */
interface Recorded {
  outcome: RecordOutcome;
  ask: boolean;
}

const applied = (o: Outcome<RecordOutcome> | undefined) => o?.ok === true && o.value === 'applied';

/**
 * Asks for a vault's snapshot after an effect was committed. The requests of one moment (one
 * setImmediate tick: the jobs of a committed batch resume together) make one
 * `calculateSnapshots` call with one job per distinct vault: a batch of 40 trades over 30 vaults
 * none of which was marked sends 30 adds, a batch of 100 trades of one vault at most one (and
 * none while the vault's mark is set). BullMQ's deduplication keeps at
 * most one waiting snapshot per vault in Redis, plus one queued behind a running one
 * (keepLastIfActive). A request made after a tick's adds were sent always goes into the next
 * tick's: the sent add's snapshot may already be running and not see the newer commit. Each
 * request settles when the adds that carry it have been acknowledged by Redis.
 */
export class SnapshotRequests {
  /** The vaults of the tick not sent yet, and the promise of its add. */
  private next: { vaults: Map<string, CalculateSnapshotInput>; sent: Promise<void> } | undefined;

  constructor(private readonly producer: Pick<Producer, 'calculateSnapshots'>) {}

  request(chainId: number, vaultAddress: string): Promise<void> {
    let next = this.next;
    if (!next) {
      const vaults = new Map<string, CalculateSnapshotInput>();
      const sent = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        // From here on a request belongs to the next tick: this add is on its way.
        this.next = undefined;
        await this.producer.calculateSnapshots([...vaults.values()]);
      });
      next = this.next = { vaults, sent };
    }
    const key = vaultKeyString({ chainId, vaultAddress });
    if (!next.vaults.has(key)) next.vaults.set(key, { chainId, vaultAddress });
    return next.sent;
  }
}
