import { ConflictingCopyError, QUEUES, identityKey, type EventIdentity } from '../contract';
import type { Outcome, Sql, Tx } from '../platform';
import { conflictError, representatives, rowKey, type CopyKind, type RecordOutcome, type Recorded } from './copies-agree';
import { lockVaultsForWrite, vaultKeyString, type VaultKey } from './lock-protocol';

// The steps a batch of ledger events goes through (the rule they apply: copies-agree.ts).
//
// A row recorded under contract version 1 whose block is unknown holds the marker
// 'v1:' || txHash as its blockHash (migration 20261207100000_contract_v2). A live one is adopted
// by the first version-2 copy of its (chainId, txHash, logIndex) whose content agrees: each
// ledger statement turns the marker into the copy's hash (and takes a removal copy's `removed`)
// before it upserts the others, so a re-sent event doubles nothing. A removed one is inert.

export interface Settled<E> {
  /** What the ledgers hold after this batch, by identity key. */
  recorded: Map<string, Recorded>;
  /** Per copy, in order: the error of a conflicting copy, or undefined. */
  errors: (ConflictingCopyError | undefined)[];
  /** One agreeing copy per identity that has one, with the recorded `removed`: what takes effect. */
  agreed: E[];
}

export { vaultKeyString, type VaultKey } from './lock-protocol';

/**
 * Where these identities are recorded, on any queue's ledger, with the fields every ledger
 * keeps (transaction, block, timestamp, vault). For events of vaults not known yet, which cannot be upserted:
 * an identity recorded anywhere makes such a copy a conflicting one.
 */
export async function findRecorded(sql: Sql, events: EventIdentity[]): Promise<Map<string, Recorded>> {
  const rows = await sql.query<{ chainId: string; blockHash: string; logIndex: string; queue: string; txHash: string; blockNumber: string; blockTimestamp: string; vaultAddress: string | null }>`
    WITH x AS (
      SELECT * FROM unnest(${events.map((e) => String(e.chainId))}::text[]::bigint[], ${events.map((e) => e.blockHash)}::text[],
                           ${events.map((e) => String(e.logIndex))}::text[]::bigint[]) AS x(c, bh, l)
    )
    SELECT x.c::text AS "chainId", x.bh AS "blockHash", x.l::text AS "logIndex", r.*
      FROM x CROSS JOIN LATERAL (
        SELECT ${QUEUES.trade.name}::text AS queue, t."txHash", t."blockNumber"::text AS "blockNumber",
               t."blockTimestamp"::text AS "blockTimestamp", t."vaultAddress"
          FROM "TradeEvent" t WHERE (t."chainId", t."blockHash", t."logIndex") = (x.c, x.bh, x.l)
        UNION ALL
        SELECT ${QUEUES.follower.name}::text, f."txHash", f."blockNumber"::text, f."blockTimestamp"::text, v."contractAddress"
          FROM "FollowerEvent" f JOIN "Vault" v ON v.id = f."vaultId"
         WHERE (f."chainId", f."blockHash", f."logIndex") = (x.c, x.bh, x.l)
        UNION ALL
        SELECT ${QUEUES.vault.name}::text, d."txHash", d."blockNumber"::text, d."blockTimestamp"::text, d."vaultAddress"
          FROM "VaultDeployEvent" d WHERE (d."chainId", d."blockHash", d."logIndex") = (x.c, x.bh, x.l)
      ) AS r`;
  const found = new Map<string, Recorded>();
  for (const r of rows) {
    const fields = { txHash: r.txHash, blockNumber: r.blockNumber, blockTimestamp: r.blockTimestamp, vaultAddress: r.vaultAddress };
    found.set(rowKey(r), { queue: r.queue, removed: false, inserted: false, fields, row: r });
  }
  return found;
}

type LedgerCopy = VaultKey & EventIdentity & { removed: boolean };

/**
 * A batch of trade or follower events in the caller's transaction, after its first step
 * (lockBatch): the steps below take it in order, each a function the use case calls (no
 * callbacks): lockBatch -> the use case's ledger upsert of representatives(kind, known) ->
 * its upsert of lateRemovals -> settleCopies -> the use case's apply -> batchOutcomes.
 */
export interface LedgerBatch<E> {
  kind: CopyKind;
  /** The queue whose ledger the batch is recorded in (its canonical name, no test suffix). */
  queue: string;
  /** Every event, in order. */
  events: E[];
  /** The events of vaults that exist, whose write locks (lock-protocol rule 1) are now held. */
  known: E[];
  vaultIdOf(e: E): number;
  /**
   * Whether the ledger statement may take the effect of this identity's representative itself:
   * not when a copy of it in the batch is a removal, whose removal may only be settled by the
   * late-removal upsert; apply() takes those.
   */
  mayApply(e: E): boolean;
  /** Users that lockVaultsForWrite inserted for this batch (followers). */
  createdUsers: number[];
}

/**
 * Step 1: the vaults' write locks for the events of known vaults (rule 1), and for events that
 * name a user (followers, `userOf`) that user, created if new.
 */
export async function lockBatch<E extends LedgerCopy>(tx: Tx, kind: CopyKind, queue: string, events: E[], userOf?: (e: E) => string): Promise<LedgerBatch<E>> {
  const { vaults: locked, createdUsers } = await lockVaultsForWrite(
    tx,
    events.map((e) => ({ chainId: e.chainId, vaultAddress: e.vaultAddress, followerAddress: userOf?.(e) })),
  );
  const vaults = new Map(locked.map((v) => [vaultKeyString({ chainId: Number(v.chainId), vaultAddress: v.contractAddress }), v.id]));
  const known = events.filter((e) => vaults.has(vaultKeyString(e)));
  const removing = new Set(known.filter((e) => e.removed).map(identityKey));
  return {
    kind,
    queue,
    events,
    known,
    vaultIdOf: (e) => vaults.get(vaultKeyString(e))!,
    mayApply: (e) => !removing.has(identityKey(e)),
    createdUsers,
  };
}

/**
 * Step 3, after the ledger upsert of the representatives: the one case that needs a second
 * statement. The batch's first copy of an identity disagreed with the recorded event while a
 * later copy agrees and is a removal: that removal is upserted on its own (the representatives
 * returned here; none, usually), so it still takes effect. Merge what that upsert reports into
 * `recorded`.
 */
export function lateRemovals<E extends LedgerCopy>(batch: LedgerBatch<E>, recorded: Map<string, Recorded>): E[] {
  const late = batch.known.filter((e) => {
    const r = recorded.get(identityKey(e));
    return e.removed && r !== undefined && !r.removed && conflictError(batch.kind, batch.queue, e, r) === undefined;
  });
  return representatives(batch.kind, late);
}

/** What the ledger upserts reported, in one map (the late removals' reports win). */
export function mergeRecorded(recorded: Map<string, Recorded>, late: Map<string, Recorded>): Map<string, Recorded> {
  for (const [k, r] of late) recorded.set(k, r);
  return recorded;
}

/**
 * Step 4: the batch's known copies sorted into agreeing and conflicting ones against what the
 * ledgers recorded (a copy that differs fails alone, the batch goes on). The ledger statements
 * took an effect only for a representative that agrees, by the SQL predicate generated from the
 * same field list: should the two ever disagree, the batch rolls back rather than commit a
 * wrong effect.
 */
export function settleCopies<E extends LedgerCopy>(batch: LedgerBatch<E>, recorded: Map<string, Recorded>): Settled<E> {
  const copies = batch.known;
  const errors = copies.map((e) => {
    const r = recorded.get(identityKey(e));
    if (!r) throw new Error(`ledger upsert reported nothing for ${identityKey(e)}`);
    return conflictError(batch.kind, batch.queue, e, r);
  });
  const agreed = new Map<string, E>();
  const seen = new Set<string>();
  copies.forEach((e, i) => {
    const k = identityKey(e);
    if (!seen.has(k) && recorded.get(k)!.done !== undefined && errors[i] !== undefined) throw new Error(`ledger statement applied ${k}, whose first copy conflicts`);
    seen.add(k);
    if (!errors[i] && !agreed.has(k)) agreed.set(k, { ...e, removed: recorded.get(k)!.removed });
  });
  return { recorded, errors, agreed: [...agreed.values()] };
}

/**
 * Step 6, after the use case applied the agreeing events (`applied`: every agreeing identity's
 * outcome): each event's outcome, in order. An event of a vault not known yet reports
 * 'vault-unknown' and writes nothing, unless its identity is already recorded: then it cannot
 * agree (the recorded event's vault exists) and fails at once as a conflicting copy.
 */
export async function batchOutcomes<E extends LedgerCopy>(
  tx: Tx,
  batch: LedgerBatch<E>,
  settled: Settled<E>,
  applied: Map<string, RecordOutcome>,
): Promise<Outcome<RecordOutcome>[]> {
  const outcomes = new Map<E, Outcome<RecordOutcome>>();
  batch.known.forEach((e, i) => {
    const error = settled.errors[i];
    outcomes.set(e, error ? { ok: false, error } : { ok: true, value: applied.get(identityKey(e))! });
  });
  const unknown = batch.events.filter((e) => !outcomes.has(e));
  // After the known ones: a copy in this very batch may have just recorded the identity.
  const recorded = unknown.length ? await findRecorded(tx, unknown) : new Map<string, Recorded>();
  for (const e of unknown) {
    const r = recorded.get(identityKey(e));
    const error = r && conflictError(batch.kind, batch.queue, e, r);
    outcomes.set(e, error ? { ok: false, error } : { ok: true, value: 'vault-unknown' });
  }
  return batch.events.map((e) => outcomes.get(e)!);
}
