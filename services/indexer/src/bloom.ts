import { hexToBytes, keccak256, type Hex } from 'viem';

// A block header's logsBloom (Ethereum yellow paper §4.3.1): 2048 bits; each log sets, for its
// address and for each of its topics, the 3 bits named by the low 11 bits of the first three
// byte pairs of the value's keccak256. A value whose 3 bits are not all set is in no log of the
// block; a value whose bits are all set may be (false positives, never false negatives).

function bitsOf(value: Hex): number[] {
  const h = hexToBytes(keccak256(value));
  return [0, 2, 4].map((i) => ((h[i]! << 8) | h[i + 1]!) & 2047);
}

export function bloomHas(bloom: Uint8Array, value: Hex): boolean {
  // Bit k counts from the low end of the 256-byte big-endian number.
  return bitsOf(value).every((k) => (bloom[255 - (k >> 3)]! & (1 << (k & 7))) !== 0);
}

/** A bloom filter over a set of addresses and topics (the logs a stream watches). */
export interface WatchedLogs {
  addresses: Hex[];
  topics: Hex[];
}

/** True when the block may hold a log of a watched address with a watched first topic. */
export function bloomMayMatch(logsBloom: Hex, watched: WatchedLogs[]): boolean {
  const bloom = hexToBytes(logsBloom);
  if (bloom.length !== 256) return true; // not a bloom this code understands: assume it may match
  return watched.some((w) => w.topics.some((t) => bloomHas(bloom, t)) && w.addresses.some((a) => bloomHas(bloom, a)));
}
