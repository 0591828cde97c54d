import type { Outcome } from './batcher';
import { conflictError, settleCopies, type CopyKind, type Recorded } from './copies';
import type { Tx } from './db';
import { identityKey, type EventIdentity } from './identity';
import type { RecordOutcome } from './vault-event-processor';
import { findRecorded, findVaultIds, lockVaultMetricsShared, vaultKeyString, type VaultKey } from './vault-sql';

type LedgerEvent = VaultKey & EventIdentity & { removed: boolean };

export interface VaultEventWriter<E> {
  kind: CopyKind;
  /** The queue whose ledger this writer keeps (its canonical name, no test suffix). */
  queue: string;
  /**
   * Upserts one row per identity into the ledger, leaving a recorded event unchanged unless the
   * row agrees with it (its `removed` aside), and reports what is recorded for every identity,
   * on this ledger or another queue's.
   */
  upsert(reps: E[], vaultIdOf: (e: E) => number): Promise<Map<string, Recorded>>;
  /** Applies the effects of the agreeing events (one per identity, recorded `removed`). */
  apply(agreed: E[], recorded: Map<string, Recorded>, vaultIdOf: (e: E) => number): Promise<Map<string, RecordOutcome>>;
}

/**
 * The frame of a batch of trade or follower events, in the caller's transaction: the vaults'
 * metrics locks are taken (shared) for events of known vaults, their copies are settled against
 * the ledgers (a copy that differs from the recorded event fails alone, the batch goes on) and
 * the agreeing ones applied. An event of a vault not known yet reports 'vault-unknown' and
 * writes nothing, unless its identity is already recorded: then it cannot agree (the recorded
 * event's vault exists) and fails at once as a conflicting copy.
 */
export async function recordVaultEvents<E extends LedgerEvent>(tx: Tx, events: E[], writer: VaultEventWriter<E>): Promise<Outcome<RecordOutcome>[]> {
  const vaults = await findVaultIds(tx, events);
  const isKnown = (e: E) => vaults.has(vaultKeyString(e));
  const known = events.filter(isKnown);
  const outcomes = new Map<E, Outcome<RecordOutcome>>();
  if (known.length) {
    const vaultIdOf = (e: E) => vaults.get(vaultKeyString(e))!;
    await lockVaultMetricsShared(tx, known.map(vaultIdOf));
    const settled = await settleCopies(writer.kind, writer.queue, known, (reps) => writer.upsert(reps, vaultIdOf));
    const applied = await writer.apply(settled.agreed, settled.recorded, vaultIdOf);
    known.forEach((e, i) => {
      const error = settled.errors[i];
      outcomes.set(e, error ? { ok: false, error } : { ok: true, value: applied.get(identityKey(e))! });
    });
  }
  const unknown = events.filter((e) => !isKnown(e));
  // After the known ones: a copy in this very batch may have just recorded the identity.
  const recorded = unknown.length ? await findRecorded(tx, unknown) : new Map<string, Recorded>();
  for (const e of unknown) {
    const r = recorded.get(identityKey(e));
    const error = r && conflictError(writer.kind, writer.queue, e, r);
    outcomes.set(e, error ? { ok: false, error } : { ok: true, value: 'vault-unknown' });
  }
  return events.map((e) => outcomes.get(e)!);
}
