import type { Outcome } from './batcher';
import type { Tx } from './db';
import { collapseCopies, identityKey, type EventIdentity } from './identity';
import type { RecordOutcome } from './vault-event-processor';
import { findVaultIds, lockVaultMetricsShared, vaultKeyString, type VaultKey } from './vault-sql';

type LedgerEvent = VaultKey & EventIdentity & { removed: boolean };

/**
 * The frame of a batch of trade or follower events, in the caller's transaction: events of
 * vaults not known yet report 'vault-unknown' and write nothing; for the rest the vaults'
 * metrics locks are taken (shared), copies collapse to one event per identity (a removal
 * winning), and `write` records them, returning an outcome per identity key.
 */
export async function recordVaultEvents<E extends LedgerEvent>(
  tx: Tx,
  events: E[],
  write: (unique: E[], vaultIdOf: (e: E) => number) => Promise<Map<string, RecordOutcome>>,
): Promise<Outcome<RecordOutcome>[]> {
  const vaults = await findVaultIds(tx, events);
  const known = events.filter((e) => vaults.has(vaultKeyString(e)));
  let outcomes = new Map<string, RecordOutcome>();
  if (known.length) {
    const vaultIdOf = (e: E) => vaults.get(vaultKeyString(e))!;
    await lockVaultMetricsShared(tx, known.map(vaultIdOf));
    outcomes = await write(collapseCopies(known), vaultIdOf);
  }
  return events.map((e) => ({
    ok: true as const,
    value: vaults.has(vaultKeyString(e)) ? outcomes.get(identityKey(e))! : 'vault-unknown',
  }));
}
