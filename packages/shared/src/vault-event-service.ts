import type { Outcome } from './batcher';
import type { ServiceDefaults } from './config';
import type { Tx } from './db';
import type { QueueKey } from './queues';
import type { ServiceDefinition } from './runner';
import { SnapshotScheduler } from './snapshot-scheduler';
import { createTxBatcher } from './tx-batcher';
import { processVaultEvent, type RecordOutcome, type VaultEvent, type VaultEventDeps } from './vault-event-processor';

type Deps<E> = VaultEventDeps<E> & { close(): Promise<void> };

/**
 * The service definition shared by the trade and follower workers: every job name of the queue
 * goes to processVaultEvent, whose `record` is the service's batch writer, group-committed.
 */
export function vaultEventService<E extends VaultEvent>(spec: {
  name: string;
  queue: QueueKey;
  jobNames: string[];
  defaults: ServiceDefaults;
  operation: string;
  write(tx: Tx, events: E[]): Promise<Outcome<RecordOutcome>[]>;
}): ServiceDefinition<Deps<E>> {
  const handler = async (payload: E, deps: Deps<E>) => {
    await processVaultEvent(payload, deps);
  };
  return {
    name: spec.name,
    queue: spec.queue,
    defaults: spec.defaults,
    handlers: Object.fromEntries(spec.jobNames.map((n) => [n, handler])),
    createDeps(infra) {
      const batcher = createTxBatcher<E, RecordOutcome>(infra, spec.operation, spec.write);
      const snapshots = new SnapshotScheduler(infra.producer);
      return {
        record: (event) => batcher.submit(event),
        requestSnapshot: (chainId, vault) => snapshots.request(chainId, vault),
        close: () => batcher.drain(),
      };
    },
    closeDeps: (deps) => deps.close(),
  };
}
