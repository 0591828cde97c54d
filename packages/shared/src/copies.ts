import { ConflictingCopyError } from './errors';
import { identityKey, type EventIdentity } from './identity';

// CONTRACT "Copies agree" (docs/CONTRACT.md): every copy of an identity carries the content of
// the first copy recorded, and arrives on the queue that recorded it. A copy that differs fails
// at once and changes nothing; the first copy recorded stands.
//
// Values reach this module canonical (lower-case hex, integer strings without leading zeros:
// see values.ts) and ledgers return them as text, so equal content is equal strings.

/** The payload fields a copy is compared on, in the payload's own order (identity and `removed` aside). */
export const COPY_FIELDS = {
  VaultDeployed: ['blockNumber', 'blockTimestamp', 'vaultAddress', 'leader', 'name', 'baseAsset'],
  TradeExecuted: ['blockNumber', 'blockTimestamp', 'vaultAddress', 'tokenIn', 'tokenOut', 'amountIn', 'amountOut', 'pnl'],
  FollowerEvent: ['blockNumber', 'blockTimestamp', 'vaultAddress', 'followerAddress', 'amount', 'action'],
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
}

/** A ledger statement's row as a Recorded: `k`, `queue`, `removed`, `inserted`, the fields as text. */
export function toRecorded(kind: CopyKind, row: Record<string, unknown>): [string, Recorded] {
  const fields = Object.fromEntries(COPY_FIELDS[kind].map((f) => [f, row[f] === null || row[f] === undefined ? null : String(row[f])]));
  return [String(row.k), { queue: String(row.queue), removed: row.removed === true, inserted: row.inserted === true, fields, row }];
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
