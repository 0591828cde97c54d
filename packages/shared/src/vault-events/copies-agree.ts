import { ConflictingCopyError, identityKey, type EventIdentity } from '../contract';
import { sqlFragment, sqlIdentifier, sqlJoin, type SqlFragment } from '../platform';

// The rule of the ledgers (docs/CONTRACT.md "Copies agree"): one row per event identity
// (chainId, blockHash, logIndex) on the queue that recorded it; every copy of an identity carries
// the content of the first copy recorded (txHash included) and arrives on the queue that recorded
// it. A copy that differs fails at once and changes nothing; the first copy recorded stands.
//
// One field list (COPY_FIELDS) says what "agrees" means, for the comparison in TypeScript
// (firstDifference) and for the SQL predicates the ledger statements use (copyAgrees,
// recordedAgreesWithExcluded), which are generated from it.
//
// Values reach this module canonical (lower-case hex, integer strings without leading zeros:
// see values.ts) and ledgers return them as text, so equal content is equal strings.

/** What recording an event did: the outcome a job's promise settles with. */
export type RecordOutcome = 'applied' | 'duplicate' | 'removed' | 'vault-unknown';

/**
 * A payload field a copy is compared on: `field` in the payload, `column` in the kind's ledger
 * table (the follower ledger keeps the vault's and follower's ids, which stand for their unique
 * addresses), `input` the copy's value among a ledger statement's input rows (`x`).
 */
export interface CopyField {
  field: string;
  column: string;
  input: string;
}

const f = (field: string, input: string, column = field): CopyField => ({ field, column, input });
const POSITION = [f('txHash', 'h'), f('blockNumber', 'b'), f('blockTimestamp', 'ts')];

/** The fields a copy is compared on, per kind, in the payload's own order (identity and `removed` aside). */
export const COPY_FIELDS = {
  VaultDeployed: [...POSITION, f('vaultAddress', 'v'), f('leader', 'ld', 'leaderAddress'), f('name', 'n'), f('baseAsset', 'ba')],
  TradeExecuted: [...POSITION, f('vaultAddress', 'v'), f('tokenIn', 'ti'), f('tokenOut', 'tout'), f('amountIn', 'ai'), f('amountOut', 'ao'), f('pnl', 'p')],
  FollowerEvent: [...POSITION, f('vaultAddress', 'v', 'vaultId'), f('followerAddress', 'u', 'userId'), f('amount', 'm'), f('action', 'a')],
} as const satisfies Record<string, readonly CopyField[]>;

export type CopyKind = keyof typeof COPY_FIELDS;

/**
 * SQL: the recorded ledger row `row` agrees with the copy in input row `input`: each compared
 * column, as text, is NULL (a row written before the ledger kept it) or the copy's value as text.
 * firstDifference's comparison, from the same list.
 */
export function copyAgrees(kind: CopyKind, row: string, input = 'x'): SqlFragment {
  const r = sqlIdentifier(row);
  const x = sqlIdentifier(input);
  return sqlJoin(
    COPY_FIELDS[kind].map(({ column, input: v }) => {
      const c = sqlIdentifier(column);
      return sqlFragment`(${r}.${c} IS NULL OR ${r}.${c}::text = ${x}.${sqlIdentifier(v)}::text)`;
    }),
    ' AND ',
  );
}

/** SQL, in an upsert's ON CONFLICT: the recorded row `row` agrees with the proposed one (EXCLUDED). */
export function recordedAgreesWithExcluded(kind: CopyKind, row: string): SqlFragment {
  const r = sqlIdentifier(row);
  return sqlJoin(
    COPY_FIELDS[kind].map(({ column }) => {
      const c = sqlIdentifier(column);
      return sqlFragment`(${r}.${c} IS NULL OR ${r}.${c} = EXCLUDED.${c})`;
    }),
    ' AND ',
  );
}

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
   * case: see the use cases' ledger upserts); undefined when their apply step has to.
   */
  done?: RecordOutcome;
}

/** The identity key of a row that returns "chainId", "blockHash", "logIndex" (as text or numbers). */
export function rowKey(row: Record<string, unknown>): string {
  return identityKey({ chainId: Number(row.chainId), blockHash: String(row.blockHash), logIndex: Number(row.logIndex) });
}

/** A ledger statement's row as a Recorded: its identity, `queue`, `removed`, `inserted`, the fields as text. */
export function toRecorded(kind: CopyKind, row: Record<string, unknown>): [string, Recorded] {
  const fields = Object.fromEntries(COPY_FIELDS[kind].map(({ field }) => [field, row[field] === null || row[field] === undefined ? null : String(row[field])]));
  const done = row.done === null || row.done === undefined ? undefined : (String(row.done) as RecordOutcome);
  return [rowKey(row), { queue: String(row.queue), removed: row.removed === true, inserted: row.inserted === true, fields, row, done }];
}

export interface Difference {
  field: string;
  recorded: string;
  copy: string;
}

/** The first field, in payload order, where the copy differs from the recorded event. */
export function firstDifference(kind: CopyKind, copy: object, recorded: Record<string, string | null>): Difference | undefined {
  for (const { field } of COPY_FIELDS[kind]) {
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
  const diff = firstDifference(kind, copy, recorded.fields);
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
    else if (e.removed && !rep.removed && !firstDifference(kind, e, asFields(kind, rep))) first.set(k, { ...rep, removed: true });
  }
  return [...first.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

function asFields(kind: CopyKind, e: object): Record<string, string> {
  return Object.fromEntries(COPY_FIELDS[kind].map(({ field }) => [field, String((e as Record<string, unknown>)[field])]));
}
