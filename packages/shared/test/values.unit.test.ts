import fc from 'fast-check';
import { address, amount, hash, signedAmount, vaultName, tradeExecutedSchema, followerEventSchema } from '../src';

describe('value formats', () => {
  it('accepts addresses and hashes in any case and stores them lower-case', () => {
    expect(address.parse('0x' + 'AbCd'.repeat(10))).toBe('0x' + 'abcd'.repeat(10));
    expect(hash.parse('0x' + 'F'.repeat(64))).toBe('0x' + 'f'.repeat(64));
    expect(address.safeParse('0x' + 'a'.repeat(41)).success).toBe(false);
    expect(address.safeParse('0X' + 'a'.repeat(40)).success).toBe(false);
    expect(hash.safeParse('0x' + 'g'.repeat(64)).success).toBe(false);
  });

  it('keeps amounts exact past 2^53, up to 2^256 - 1, in canonical form', () => {
    const max = (2n ** 256n - 1n).toString();
    expect(amount.parse(max)).toBe(max);
    expect(amount.parse('9007199254740993')).toBe('9007199254740993'); // 2^53 + 1: not a double
    expect(amount.parse('000123')).toBe('123');
    expect(amount.parse('0')).toBe('0');
    expect(amount.safeParse((2n ** 256n).toString()).success).toBe(false);
    expect(amount.safeParse('-1').success).toBe(false);
    expect(amount.safeParse(5).success).toBe(false);
    expect(amount.safeParse('1e3').success).toBe(false);
    expect(amount.safeParse('1'.repeat(101)).success).toBe(false);
  });

  it('bounds signed amounts to [-2^255, 2^255)', () => {
    expect(signedAmount.parse((-(2n ** 255n)).toString())).toBe((-(2n ** 255n)).toString());
    expect(signedAmount.parse((2n ** 255n - 1n).toString())).toBe((2n ** 255n - 1n).toString());
    expect(signedAmount.safeParse((2n ** 255n).toString()).success).toBe(false);
    expect(signedAmount.safeParse((-(2n ** 255n) - 1n).toString()).success).toBe(false);
    expect(signedAmount.parse('-0')).toBe('0');
  });

  it('counts a name in characters, not UTF-16 units, and refuses NUL', () => {
    expect(vaultName.safeParse('🚀'.repeat(100)).success).toBe(true);
    expect(vaultName.safeParse('🚀'.repeat(101)).success).toBe(false);
    expect(vaultName.safeParse('').success).toBe(false);
    expect(vaultName.safeParse('a\u0000b').success).toBe(false);
  });
});

describe('payload schemas', () => {
  const trade = {
    chainId: 1, txHash: '0x' + 'A'.repeat(64), logIndex: 3, blockNumber: 10, blockHash: '0x' + 'B'.repeat(64), blockTimestamp: 1_700_000_000,
    vaultAddress: '0x' + 'B'.repeat(40), tokenIn: '0x' + '1'.repeat(40), tokenOut: '0x' + '2'.repeat(40),
    amountIn: '1', amountOut: '2', pnl: '-3',
  };

  it('defaults removed to false and drops unknown fields, __proto__ included', () => {
    const hostile = JSON.parse(JSON.stringify(trade).replace('{', '{"__proto__":{"polluted":true},"extra":1,'));
    const parsed = tradeExecutedSchema.parse(hostile);
    expect(parsed.removed).toBe(false);
    expect(Object.keys(parsed)).not.toContain('extra');
    // JSON.parse makes "__proto__" an own key of the input. The output must neither keep it (a
    // copy with spread would) nor turn it into its prototype (a copy by assignment would: then
    // parsed.polluted is true); the input itself fails both, so these assertions need the schema.
    expect(Object.prototype.hasOwnProperty.call(hostile, '__proto__')).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(parsed, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect((parsed as Record<string, unknown>).polluted).toBeUndefined();
    expect(parsed.vaultAddress).toBe('0x' + 'b'.repeat(40));
  });

  it('rejects non-integer positions and a zero chain id', () => {
    expect(tradeExecutedSchema.safeParse({ ...trade, logIndex: 1.5 }).success).toBe(false);
    expect(tradeExecutedSchema.safeParse({ ...trade, chainId: 0 }).success).toBe(false);
    expect(tradeExecutedSchema.safeParse({ ...trade, blockNumber: Number.MAX_SAFE_INTEGER + 1 }).success).toBe(false);
  });

  it('lets the action, not the job name, decide a follower event', () => {
    const { pnl, tokenIn, tokenOut, amountIn, amountOut, ...base } = trade;
    const e = followerEventSchema.parse({ ...base, followerAddress: '0x' + 'c'.repeat(40), amount: '5', action: 'WITHDRAW' });
    expect(e.action).toBe('WITHDRAW');
    expect(followerEventSchema.safeParse({ ...e, action: 'deposit' }).success).toBe(false);
  });
});

describe('integer strings against their definition (BigInt)', () => {
  // The schemas canonicalise without BigInt; the definition is BigInt's: the same value in range,
  // refused out of range. Strings near the bounds, with leading zeros and signs, are where a
  // digit-string comparison could go wrong.
  const reference = (s: string, min: bigint, maxExclusive: bigint) => {
    const v = BigInt(s);
    return v >= min && v < maxExclusive ? v.toString() : undefined;
  };
  const near = (bound: bigint) => fc.bigInt({ min: bound - 3n, max: bound + 3n });
  const digitsOf = (value: fc.Arbitrary<bigint>) =>
    fc.tuple(value, fc.nat({ max: 3 })).map(([v, zeros]) => (v < 0n ? '-' : '') + '0'.repeat(zeros) + (v < 0n ? -v : v).toString());
  const values = (min: bigint, max: bigint) =>
    digitsOf(fc.oneof(near(min), near(max), near(0n), fc.bigInt({ min: min - 10n ** 80n, max: max + 10n ** 80n }), fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n })));

  it('amount: 0 <= x < 2^256', () => {
    fc.assert(
      fc.property(values(0n, 2n ** 256n).filter((s) => !s.startsWith('-')), (s) => {
        const r = amount.safeParse(s);
        expect(r.success ? r.data : undefined).toBe(reference(s, 0n, 2n ** 256n));
      }),
      { numRuns: 2000 },
    );
  });

  it('signed amount: -2^255 <= x < 2^255, and -0 is 0', () => {
    fc.assert(
      fc.property(fc.oneof(values(-(2n ** 255n), 2n ** 255n), fc.constantFrom('-0', '-000', '00', '-00001')), (s) => {
        const r = signedAmount.safeParse(s);
        expect(r.success ? r.data : undefined).toBe(reference(s, -(2n ** 255n), 2n ** 255n));
      }),
      { numRuns: 2000 },
    );
  });
});
