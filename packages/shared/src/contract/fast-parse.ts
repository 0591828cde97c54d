import type { z } from 'zod';
import { calculateSnapshotSchema, followerEventSchema, tradeExecutedSchema } from './payloads';

// A fast path in front of the payload schemas, for the payloads every job of the hot queues
// carries: each field already well-formed and, for numbers as strings, already canonical and
// short enough to be in range without BigInt. On such a payload it returns exactly what the
// schema's parse outputs (same keys in the same order, hex lower-cased, unknown keys dropped,
// `removed` defaulted); on anything else it returns undefined and the schema decides, with its
// own error messages. Zod's general machinery (and three BigInt round trips per trade) was ~3% of
// the trade worker's CPU (bench/worker-cpu.ts profile). packages/shared/test/fast-parse.unit.test.ts checks
// the "exactly what the schema outputs" on generated payloads, valid and not.

type Field = (value: unknown) => unknown;
/** What a field check returns when the fast path cannot decide (never a valid output). */
const NO = Symbol('no');

const HEX40 = /^0x[0-9a-fA-F]{40}$/;
const HEX64 = /^0x[0-9a-fA-F]{64}$/;
// Canonical (no leading zero, no "-0") and below 10^77 < 2^256, resp. 10^76 < 2^255 in absolute
// value: in range whatever the digits.
const SHORT_AMOUNT = /^(?:0|[1-9][0-9]{0,76})$/;
const SHORT_SIGNED = /^(?:0|-?[1-9][0-9]{0,75})$/;

const hex = (re: RegExp): Field => (v) => (typeof v === 'string' && re.test(v) ? v.toLowerCase() : NO);
const canonical = (re: RegExp): Field => (v) => (typeof v === 'string' && re.test(v) ? v : NO);
const int = (min: number): Field => (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? v : NO);
const optionalBoolean: Field = (v) => (v === undefined ? false : typeof v === 'boolean' ? v : NO);
const oneOf = (...values: string[]): Field => (v) => (typeof v === 'string' && values.includes(v) ? v : NO);

const address = hex(HEX40);
const eventFields = {
  chainId: int(1),
  txHash: hex(HEX64),
  logIndex: int(0),
  blockNumber: int(0),
  blockTimestamp: int(0),
  removed: optionalBoolean,
};

/** Per schema, its fields in the schema's order (the order of the parsed output's keys). */
const FAST = new Map<z.ZodType, Record<string, Field>>([
  [tradeExecutedSchema, {
    ...eventFields, vaultAddress: address, tokenIn: address, tokenOut: address,
    amountIn: canonical(SHORT_AMOUNT), amountOut: canonical(SHORT_AMOUNT), pnl: canonical(SHORT_SIGNED),
  }],
  [followerEventSchema, {
    ...eventFields, vaultAddress: address, followerAddress: address, amount: canonical(SHORT_AMOUNT), action: oneOf('DEPOSIT', 'WITHDRAW'),
  }],
  [calculateSnapshotSchema, { chainId: int(1), vaultAddress: address }],
]);

/** The schema's output for a payload the fast path can decide, else undefined. */
export function fastParse(schema: z.ZodType, data: unknown): Record<string, unknown> | undefined {
  const fields = FAST.get(schema);
  if (!fields || typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const input = data as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in fields) {
    const value = fields[key]!(input[key]);
    if (value === NO) return undefined;
    out[key] = value;
  }
  return out;
}
