import { z } from 'zod';

// Value formats of docs/CONTRACT.md ("Value formats"). Every schema normalises what it accepts
// (lower-case hex, canonical integer strings) so that one value has exactly one stored form.

export const MAX_AMOUNT = 2n ** 256n; // exclusive
export const MIN_SIGNED = -(2n ** 255n); // inclusive
export const MAX_SIGNED = 2n ** 255n; // exclusive

// 2^256 has 78 digits; allow some leading zeros but never parse megabytes of digits.
const MAX_INTEGER_STRING_LENGTH = 100;

export const address = z
  .string({ error: 'must be a string: 0x + 40 hex digits' })
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be 0x + 40 hex digits')
  .transform((s) => s.toLowerCase());

export const hash = z
  .string({ error: 'must be a string: 0x + 64 hex digits' })
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x + 64 hex digits')
  .transform((s) => s.toLowerCase());

/**
 * The hash of the log's block (contract version 2): part of the event's identity, so a payload
 * without it is refused with a reason that says which version requires it.
 */
export const blockHash = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? "required since contract version 2: the hash of the log's block, 0x + 64 hex digits"
        : 'must be a string: 0x + 64 hex digits',
  })
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x + 64 hex digits')
  .transform((s) => s.toLowerCase());

/**
 * The canonical form of a base-10 integer string that matched `^-?[0-9]+$`, or undefined when it
 * is outside [min, maxExclusive): leading zeros and the sign of zero dropped, then the magnitude
 * compared with the bound's digits (more digits is larger; as many, the string order is the
 * numeric one). The same answer as BigInt(s) and a comparison, without building a BigInt and its
 * string again per amount (three per trade payload).
 */
function canonicalInteger(s: string, bounds: IntegerBounds): string | undefined {
  const negative = s.charCodeAt(0) === 45; // '-'
  let i = negative ? 1 : 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++; // leading '0's, keeping the last digit
  const digits = i === 0 ? s : s.slice(i);
  if (digits === '0') return '0';
  if (negative ? !fits(digits, bounds.minMagnitude, true) : !fits(digits, bounds.maxExclusive, false)) return undefined;
  return negative ? '-' + digits : digits;
}

/** A range's bounds as digit strings: the largest magnitude of a negative value (inclusive), and of a positive one (exclusive). */
interface IntegerBounds {
  minMagnitude: string;
  maxExclusive: string;
}

function fits(digits: string, bound: string, inclusive: boolean): boolean {
  if (digits.length !== bound.length) return digits.length < bound.length;
  return inclusive ? digits <= bound : digits < bound;
}

function integerString(pattern: RegExp, min: bigint, maxExclusive: bigint, what: string) {
  const bounds: IntegerBounds = { minMagnitude: (-min).toString(), maxExclusive: maxExclusive.toString() };
  return z
    .string({ error: `must be a base-10 integer string (${what}), never a number` })
    .max(MAX_INTEGER_STRING_LENGTH, `must be at most ${MAX_INTEGER_STRING_LENGTH} characters`)
    .regex(pattern, `must be a base-10 integer string (${what})`)
    .transform((s, ctx) => {
      const value = canonicalInteger(s, bounds);
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message: `out of range (${what})` });
        return z.NEVER;
      }
      return value;
    });
}

/** An amount: `0 <= x < 2^256`, as a canonical decimal string. */
export const amount = integerString(/^[0-9]+$/, 0n, MAX_AMOUNT, '0 <= x < 2^256');

/** A signed amount: `-2^255 <= x < 2^255`, as a canonical decimal string. */
export const signedAmount = integerString(/^-?[0-9]+$/, MIN_SIGNED, MAX_SIGNED, '-2^255 <= x < 2^255');

export const chainId = z
  .int({ error: 'must be a positive integer' })
  .positive('must be a positive integer');

export const nonNegativeInt = z
  .int({ error: 'must be a non-negative integer' })
  .nonnegative('must be a non-negative integer');

/** 1..100 characters (code points, not UTF-16 units); Postgres text cannot hold NUL. */
export const vaultName = z
  .string({ error: 'must be a string of 1..100 characters' })
  .refine((s) => [...s].length >= 1 && [...s].length <= 100, 'must be 1..100 characters')
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
