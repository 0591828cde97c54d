import fc from 'fast-check';
import type { z } from 'zod';
import { calculateSnapshotSchema, followerEventSchema, parsePayload, tradeExecutedSchema, vaultDeployedSchema } from '../src';
import { fastParse } from '../src/contract/fast-parse';

// The fast path of the payload schemas must output exactly what the schema outputs (values,
// -0 included, and key order), and decide nothing the schema would refuse. Generated payloads mix
// canonical values, valid but non-canonical ones (upper-case hex, leading zeros, "-0", 78-digit
// numbers), out-of-range and wrongly typed values, missing and extra keys.

const hexDigits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: n, maxLength: n });
const hexValue = (n: number) => fc.oneof(hexDigits(n).map((d) => `0x${d}`), hexDigits(n - 1).map((d) => `0x${d}`), hexDigits(n).map((d) => `0X${d}`));
const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 80 });
const numberString = fc.oneof(
  digits, digits.map((d) => `-${d}`), fc.constantFrom('0', '-0', '00', '1', '-1', ' 1', '1.5', '', '+1', (2n ** 256n).toString(), (2n ** 255n).toString(), (-(2n ** 255n)).toString()),
  fc.bigInt({ min: -(2n ** 256n), max: 2n ** 256n }).map(String),
);
const junk = fc.oneof(fc.constant(undefined), fc.constant(null), fc.boolean(), fc.double(), fc.integer(), fc.string(), fc.constant({}), fc.constant([]));
const integer = fc.oneof(fc.integer({ min: -5, max: 2 ** 40 }), fc.constantFrom(0, -0, 1.5, NaN, Infinity, 2 ** 53, 2 ** 53 - 1, -(2 ** 53)), fc.integer().map(String));
// Mostly canonical values (so that whole payloads are often valid), some edge values, some junk.
const field = <T>(canonical: fc.Arbitrary<T>, edge: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 40, arbitrary: canonical }, { weight: 2, arbitrary: edge }, { weight: 1, arbitrary: junk });
const canonicalInt = fc.integer({ min: 1, max: 2 ** 40 });
const canonicalHex = (n: number) => hexDigits(n).map((d) => `0x${d}`);
const canonicalNumber = fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }).map(String);
const canonicalAmount = fc.bigInt({ min: 0n, max: 2n ** 200n }).map(String);
const int = field(canonicalInt, integer);
const optionalKeys = { requiredKeys: [] as never[] };

const eventFields = { chainId: int, txHash: field(canonicalHex(64), hexValue(64)), logIndex: int, blockNumber: int, blockTimestamp: int };
const address = field(canonicalHex(40), hexValue(40));
const amount = field(canonicalAmount, numberString);
/** `removed` may be absent; `extra` (an unknown key) usually is. */
const optional = fc.record({ removed: field(fc.boolean(), junk), extra: junk }, optionalKeys);
const payloads: [string, z.ZodType, fc.Arbitrary<Record<string, unknown>>][] = [
  ['TradeExecuted', tradeExecutedSchema, withOptional(fc.record({
    ...eventFields, vaultAddress: address, tokenIn: address, tokenOut: address, amountIn: amount, amountOut: amount,
    pnl: field(canonicalNumber, numberString),
  }))],
  ['FollowerSubscribed', followerEventSchema, withOptional(fc.record({
    ...eventFields, vaultAddress: address, followerAddress: address, amount, action: field(fc.constantFrom('DEPOSIT', 'WITHDRAW'), fc.constantFrom('deposit', 'OTHER')),
  }))],
  ['CalculateSnapshot', calculateSnapshotSchema, withOptional(fc.record({ chainId: int, vaultAddress: address }))],
];

function withOptional(required: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(required, optional).map(([r, o]) => ({ ...r, ...o }));
}

describe.each(payloads)('fast path of %s', (_name, schema, arb) => {
  it('outputs exactly what the schema outputs, or leaves the payload to the schema', () => {
    let decided = 0;
    fc.assert(
      fc.property(arb, (payload) => {
        const fast = fastParse(schema, payload);
        if (!fast) return;
        decided++;
        const slow = schema.safeParse(payload);
        expect(slow.success).toBe(true);
        expect(fast).toEqual(slow.data);
        expect(Object.keys(fast)).toEqual(Object.keys(slow.data as object));
      }),
      { numRuns: 3000, seed: 20261128 },
    );
    // The generators are mostly valid: the fast path must take a good share of them.
    expect(decided).toBeGreaterThan(100);
  });
});

it('takes the canonical payloads of the hot queues, and leaves the others to the schemas', () => {
  const trade = {
    chainId: 1, txHash: `0x${'Ab'.repeat(32)}`, logIndex: 0, blockNumber: 5, blockTimestamp: 1_700_000_000,
    vaultAddress: `0x${'1'.repeat(40)}`, tokenIn: `0x${'2'.repeat(40)}`, tokenOut: `0x${'3'.repeat(40)}`, amountIn: '10', amountOut: '0', pnl: '-7',
  };
  expect(fastParse(tradeExecutedSchema, trade)).toEqual({ ...trade, txHash: trade.txHash.toLowerCase(), removed: false });
  // A field added to a schema (even an optional one) must be added to its fast path too.
  expect(Object.keys(fastParse(tradeExecutedSchema, trade)!)).toEqual(Object.keys(tradeExecutedSchema.shape));
  const follower = { ...trade, followerAddress: trade.tokenIn, amount: '5', action: 'DEPOSIT' };
  expect(Object.keys(fastParse(followerEventSchema, follower)!)).toEqual(Object.keys(followerEventSchema.shape));
  expect(Object.keys(fastParse(calculateSnapshotSchema, trade)!)).toEqual(Object.keys(calculateSnapshotSchema.shape));
  expect(fastParse(tradeExecutedSchema, { ...trade, pnl: '-0' })).toBeUndefined();
  expect(fastParse(vaultDeployedSchema, {})).toBeUndefined();
  // Through parsePayload the schema still names a bad field.
  expect(parsePayload('trade', 'TradeExecuted', { ...trade, amountIn: '01x' })).toMatchObject({ ok: false, reason: expect.stringMatching(/amountIn/) });
});
