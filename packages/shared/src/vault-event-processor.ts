import { RetryLaterError } from './errors';

/** An on-chain event that belongs to a vault (a trade or a follower event). */
export interface VaultEvent {
  chainId: number;
  vaultAddress: string;
}

export type RecordOutcome = 'applied' | 'duplicate' | 'removed' | 'vault-unknown';

export interface VaultEventDeps<E> {
  /** Records the event exactly once (group-committed with concurrent jobs). */
  record(event: E): Promise<RecordOutcome>;
  requestSnapshot(chainId: number, vaultAddress: string): Promise<void>;
}

/**
 * The processor of the trade and follower workers: record the event, then ask for the vault's
 * snapshot. The snapshot is requested even when the event was already recorded: a crash between
 * the commit and the request must not leave the vault's metrics stale. A vault not known yet is
 * not an error of the payload: the runner retries later with back-off.
 */
export async function processVaultEvent<E extends VaultEvent>(event: E, deps: VaultEventDeps<E>): Promise<RecordOutcome> {
  const outcome = await deps.record(event);
  if (outcome === 'vault-unknown') {
    throw new RetryLaterError(`vault ${event.vaultAddress} on chain ${event.chainId} is not known yet`);
  }
  await deps.requestSnapshot(event.chainId, event.vaultAddress);
  return outcome;
}
