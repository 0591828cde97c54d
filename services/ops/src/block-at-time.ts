// Rewind by time (vaults-ops rewind --time): the block to rewind to is the last one mined before
// the given time, so that every block from that time on is indexed (and its events sent) again.
// Block timestamps never decrease along a chain, so a binary search over block numbers finds it
// in about log2(head) header reads.

/** What the search reads: the chain's head and a block's timestamp (unix seconds). */
export interface HeaderSource {
  head(): Promise<number>;
  timestampOf(block: number): Promise<number>;
}

export interface BlockAtTime {
  block: number;
  timestamp: number;
  /** Headers read, for the summary. */
  reads: number;
}

export class NoBlockBeforeError extends Error {
  override readonly name = 'NoBlockBeforeError';
}

/** The last block in [lowest, head] whose timestamp is strictly before `time` (unix seconds). */
export async function lastBlockBefore(source: HeaderSource, time: number, lowest = 0): Promise<BlockAtTime> {
  let reads = 0;
  const ts = async (n: number) => {
    reads++;
    return source.timestampOf(n);
  };
  let lo = lowest;
  let hi = await source.head();
  const loTs = await ts(lo);
  if (loTs >= time) {
    throw new NoBlockBeforeError(`block ${lo} was mined at ${iso(loTs)}, not before ${iso(time)}: no block to rewind to`);
  }
  let hiTs = await ts(hi);
  if (hiTs < time) return { block: hi, timestamp: hiTs, reads };
  // Invariant: ts(lo) < time <= ts(hi).
  let found = { block: lo, timestamp: loTs };
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const midTs = await ts(mid);
    if (midTs < time) {
      lo = mid;
      found = { block: mid, timestamp: midTs };
    } else {
      hi = mid;
      hiTs = midTs;
    }
  }
  return { ...found, reads };
}

/** `--time`: an ISO-8601 date-time or unix seconds. */
export function parseTime(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  // A date-time without an offset would be read in the machine's zone: require one.
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(value)) throw new Error(`--time ${JSON.stringify(value)}: give unix seconds or an ISO-8601 date-time with a zone (Z or +hh:mm)`);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`--time ${JSON.stringify(value)}: not an ISO-8601 date-time`);
  return Math.floor(ms / 1000);
}

export const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
