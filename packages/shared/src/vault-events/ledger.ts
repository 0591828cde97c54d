import { ConflictingCopyError, QUEUES, identityKey, type EventIdentity } from '../contract';
import type { Outcome, Sql, Tx } from '../platform';
import { lockVaultsForWrite } from './lock-protocol';

// The ledgers: one row per event identity (chainId, blockHash, logIndex) on the queue that
// recorded it, and the contract's "Copies agree" (docs/CONTRACT.md): every copy of an identity
// carries the content of the first copy recorded (txHash included), and arrives on the queue that
// recorded it. A copy that differs fails at once and changes nothing; the first copy recorded
// stands.
//
// A row recorded under contract version 1 whose block is unknown holds the marker
// 'v1:' || txHash as its blockHash (migration 20261207100000_contract_v2). A live one is adopted
// by the first version-2 copy of its (chainId, txHash, logIndex) whose content agrees: each
// ledger statement turns the marker into the copy's hash (and takes a removal copy's `removed`)
// before it upserts the others, so a re-sent event doubles nothing. A removed one is inert.
//
// Values reach this module canonical (lower-case hex, integer strings without leading zeros:
// see values.ts) and ledgers return them as text, so equal content is equal strings.

/** What recording an event did: the outcome a job's promise settles with. */
export type RecordOutcome = 'applied' | 'duplicate' | 'removed' | 'vault-unknown';

/** The payload fields a copy is compared on, in the payload's own order (identity and `removed` aside). */
export const COPY_FIELDS = {
  VaultDeployed: ['txHash', 'blockNumber', 'blockTimestamp', 'vaultAddress', 'leader', 'name', 'baseAsset'],
  TradeExecuted: ['txHash', 'blockNumber', 'blockTimestamp', 'vaultAddress', 'tokenIn', 'tokenOut', 'amountIn', 'amountOut', 'pnl'],
  FollowerEvent: ['txHash', 'blockNumber', 'blockTimestamp', 'vaultAddress', 'followerAddress', 'amount', 'action'],
} as const;

export type CopyKind = keyof typeof COPY_FIELDS;

/**
 * What a ledger holds for an identity: the queue whose ledger recorded it, its `removed` flag,
 * whether this statement inserted it, and the recorded fields as text. A field is null only on
 * a ledger row written before the ledger kept it (it then agrees with any copy).
 */
export interface Recorded {
  queue: string;
  removed: boolean;
  inserted: boolean;
  fields: Record<string, string | null>;
  /** The ledger row as returned (ids the writer needs). */
  row: Record<string, unknown>;
  /**
   * The outcome when the ledger statement itself already took the event's effect (the common
   * case: see LedgerWriter.upsert); undefined when apply() has to.
   */
  done?: RecordOutcome;
}

/** The identity key of a row that returns "chainId", "blockHash", "logIndex" (as text or numbers). */
export function rowKey(row: Record<string, unknown>): string {
  return identityKey({ chainId: Number(row.chainId), blockHash: String(row.blockHash), logIndex: Number(row.logIndex) });
}

/** A ledger statement's row as a Recorded: its identity, `queue`, `removed`, `inserted`, the fields as text. */
export function toRecorded(kind: CopyKind, row: Record<string, unknown>): [string, Recorded] {
  const fields = Object.fromEntries(COPY_FIELDS[kind].map((f) => [f, row[f] === null || row[f] === undefined ? null : String(row[f])]));
  const done = row.done === null || row.done === undefined ? undefined : (String(row.done) as RecordOutcome);
  return [rowKey(row), { queue: String(row.queue), removed: row.removed === true, inserted: row.inserted === true, fields, row, done }];
}

export interface Difference {
  field: string;
  recorded: string;
  copy: string;
}

/** The first field, in payload order, where the copy differs from the recorded event. */
export function firstDifference(fields: readonly string[], copy: object, recorded: Record<string, string | null>): Difference | undefined {
  for (const field of fields) {
    const r = recorded[field];
    const c = String((copy as Record<string, unknown>)[field]);
    if (r !== null && r !== undefined && r !== c) return { field, recorded: r, copy: c };
  }
  return undefined;
}

/** A value for a failed reason: JSON-quoted (no forged lines) and bounded. */
const show = (v: string) => (v.length > 80 ? `${JSON.stringify(v.slice(0, 80))}…` : JSON.stringify(v));

/** The error a conflicting copy fails with; its message leads with the differing field. */
export function conflictError(kind: CopyKind, ownQueue: string, copy: EventIdentity, recorded: Recorded): ConflictingCopyError | undefined {
  const event = identityKey(copy);
  if (recorded.queue !== ownQueue) {
    return new ConflictingCopyError(
      `queue: conflicting copy of event ${event}: the identity is already recorded on ${recorded.queue}, not ${ownQueue} (the first copy recorded stands)`,
    );
  }
  const diff = firstDifference(COPY_FIELDS[kind], copy, recorded.fields);
  if (!diff) return undefined;
  return new ConflictingCopyError(
    `${diff.field}: conflicting copy of event ${event}: ${show(diff.copy)} differs from the recorded ${show(diff.recorded)} (the first copy recorded stands)`,
  );
}

type Copy = EventIdentity & { removed: boolean };

/**
 * The rows one statement upserts: the first copy of each identity (arrival order), removed when
 * any copy with the same content is a removal; sorted by identity, so that concurrent batches
 * lock ledger rows in one order and cannot deadlock.
 */
export function representatives<E extends Copy>(kind: CopyKind, copies: E[]): E[] {
  const first = new Map<string, E>();
  for (const e of copies) {
    const k = identityKey(e);
    const rep = first.get(k);
    if (!rep) first.set(k, e);
    else if (e.removed && !rep.removed && !firstDifference(COPY_FIELDS[kind], e, asFields(kind, rep))) first.set(k, { ...rep, removed: true });
  }
  return [...first.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

function asFields(kind: CopyKind, e: object): Record<string, string> {
  return Object.fromEntries(COPY_FIELDS[kind].map((f) => [f, String((e as Record<string, unknown>)[f])]));
}

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

/** Vault ids by "chainId:address" for the vaults that exist. */
export async function findVaultIds(sql: Sql, keys: VaultKey[]): Promise<Map<string, number>> {
  const unique = [...new Map(keys.map((k) => [vaultKeyString(k), k])).values()];
  if (!unique.length) return new Map();
  const rows = await sql.query<{ id: number; chainId: string; contractAddress: string }>`
    SELECT v.id, v."chainId"::text AS "chainId", v."contractAddress"
      FROM "Vault" v
      JOIN unnest(${unique.map((k) => String(k.chainId))}::text[]::bigint[], ${unique.map((k) => k.vaultAddress)}::text[]) AS k(c, a)
        ON v."chainId" = k.c AND v."contractAddress" = k.a`;
  return new Map(rows.map((r) => [vaultKeyString({ chainId: Number(r.chainId), vaultAddress: r.contractAddress }), r.id]));
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
