import { ConflictingCopyError, QUEUES, identityKey, type EventIdentity } from '../contract';
import type { Outcome, Sql, Tx } from '../platform';
import { conflictError, representatives, rowKey, type CopyKind, type RecordOutcome, type Recorded } from './copies-agree';
import { lockVaultsForWrite } from './lock-protocol';

// The steps a batch of ledger events goes through (the rule they apply: copies-agree.ts).
//
// A row recorded under contract version 1 whose block is unknown holds the marker
// 'v1:' || txHash as its blockHash (migration 20261207100000_contract_v2). A live one is adopted
// by the first version-2 copy of its (chainId, txHash, logIndex) whose content agrees: each
// ledger statement turns the marker into the copy's hash (and takes a removal copy's `removed`)
// before it upserts the others, so a re-sent event doubles nothing. A removed one is inert.

type Copy = EventIdentity & { removed: boolean };

export interface Settled<E> {
  /** What the ledgers hold after this batch, by identity key. */
  recorded: Map<string, Recorded>;
  /** Per copy, in order: the error of a conflicting copy, or undefined. */
  errors: (ConflictingCopyError | undefined)[];
  /** One agreeing copy per identity that has one, with the recorded `removed`: what takes effect. */
  agreed: E[];
}

/**
 * Upserts the representatives of a batch of copies (in the caller's transaction) and sorts the
 * copies into agreeing and conflicting ones against what the ledger recorded. `upsert` must leave
 * a recorded event unchanged unless the copy agrees with it, and report every identity.
 * One case needs a second statement: the batch's first copy of an identity disagreed with the
 * recorded event while a later copy of the batch agrees and is a removal; that removal is
 * upserted on its own so it still takes effect.
 */
export async function settleCopies<E extends Copy>(
  kind: CopyKind,
  ownQueue: string,
  copies: E[],
  upsert: (reps: E[]) => Promise<Map<string, Recorded>>,
): Promise<Settled<E>> {
  const recorded = await upsert(representatives(kind, copies));
  const agrees = (e: E) => {
    const r = recorded.get(identityKey(e));
    return r !== undefined && conflictError(kind, ownQueue, e, r) === undefined;
  };
  const lateRemovals = copies.filter((e) => e.removed && agrees(e) && !recorded.get(identityKey(e))!.removed);
  if (lateRemovals.length) {
    for (const [k, r] of await upsert(representatives(kind, lateRemovals))) recorded.set(k, r);
  }

  const errors = copies.map((e) => {
    const r = recorded.get(identityKey(e));
    if (!r) throw new Error(`ledger upsert reported nothing for ${identityKey(e)}`);
    return conflictError(kind, ownQueue, e, r);
  });
  const agreed = new Map<string, E>();
  copies.forEach((e, i) => {
    const k = identityKey(e);
    if (!errors[i] && !agreed.has(k)) agreed.set(k, { ...e, removed: recorded.get(k)!.removed });
  });
  return { recorded, errors, agreed: [...agreed.values()] };
}

export interface VaultKey {
  chainId: number;
  vaultAddress: string;
}

export function vaultKeyString(k: VaultKey): string {
  return `${k.chainId}:${k.vaultAddress}`;
}

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

/** How one event kind keeps its ledger and applies its effects (see recordVaultEvents). */
export interface LedgerWriter<E> {
  kind: CopyKind;
  /** The queue whose ledger this writer keeps (its canonical name, no test suffix). */
  queue: string;
  /**
   * Events that name a user (followers): its address, created by lockVaultsForWrite for events
   * of known vaults; `created` receives the ids it inserted.
   */
  users?: { of: (e: E) => string; created: Set<number> };
  /**
   * Upserts one row per identity into the ledger, leaving a recorded event unchanged unless the
   * row agrees with it (its `removed` aside), and reports what is recorded for every identity,
   * on this ledger or another queue's. In the same statement it may also take the effect of a
   * representative that agrees with the recorded event and for which `mayApply` is true (no
   * copy of its identity in the batch is a removal), reporting the outcome as `done`; apply()
   * takes the others'.
   */
  upsert(reps: E[], vaultIdOf: (e: E) => number, mayApply: (e: E) => boolean): Promise<Map<string, Recorded>>;
  /**
   * Applies the effects of the agreeing events (one per identity, recorded `removed`) that the
   * upsert has not taken (`done` undefined), and returns every agreeing event's outcome.
   */
  apply(agreed: E[], recorded: Map<string, Recorded>, vaultIdOf: (e: E) => number): Promise<Map<string, RecordOutcome>>;
}

/**
 * The steps every batch of trade or follower events goes through, in the caller's transaction:
 * the vaults' write locks are taken (lock-protocol rule 1) for events of known vaults, their
 * copies are settled against the ledgers (a copy that differs from the recorded event fails
 * alone, the batch goes on) and the agreeing ones applied. An event of a vault not known yet
 * reports 'vault-unknown' and writes nothing, unless its identity is already recorded: then it
 * cannot agree (the recorded event's vault exists) and fails at once as a conflicting copy.
 */
export async function recordVaultEvents<E extends LedgerCopy>(tx: Tx, events: E[], writer: LedgerWriter<E>): Promise<Outcome<RecordOutcome>[]> {
  const users = writer.users;
  const { vaults: locked, createdUsers } = await lockVaultsForWrite(
    tx,
    events.map((e) => ({ chainId: e.chainId, vaultAddress: e.vaultAddress, followerAddress: users?.of(e) })),
  );
  for (const id of createdUsers) users?.created.add(id);
  const vaults = new Map(locked.map((v) => [vaultKeyString({ chainId: Number(v.chainId), vaultAddress: v.contractAddress }), v.id]));
  const isKnown = (e: E) => vaults.has(vaultKeyString(e));
  const known = events.filter(isKnown);
  const outcomes = new Map<E, Outcome<RecordOutcome>>();
  if (known.length) {
    const vaultIdOf = (e: E) => vaults.get(vaultKeyString(e))!;
    // An identity with a removal copy in the batch is left to apply(): its removal may only be
    // settled by the second upsert of settleCopies (a late removal).
    const removing = new Set(known.filter((e) => e.removed).map(identityKey));
    const mayApply = (e: E) => !removing.has(identityKey(e));
    const settled = await settleCopies(writer.kind, writer.queue, known, (reps) => writer.upsert(reps, vaultIdOf, mayApply));
    checkDone(settled, known, (e) => settled.recorded.get(identityKey(e))!.done);
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

/**
 * The statement took an effect only for a representative (the identity's first copy) that agrees
 * with the recorded event, as settleCopies sees it: the two agreement checks (SQL and here) must
 * not disagree, or the batch rolls back rather than commit a wrong effect.
 */
function checkDone<E extends Copy>(settled: Settled<E>, copies: E[], done: (e: E) => RecordOutcome | undefined): void {
  const seen = new Set<string>();
  copies.forEach((e, i) => {
    const k = identityKey(e);
    if (seen.has(k)) return;
    seen.add(k);
    if (done(e) !== undefined && settled.errors[i] !== undefined) throw new Error(`ledger statement applied ${k}, whose first copy conflicts`);
  });
}
