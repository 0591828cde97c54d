import { readRange, type RangeRead } from './read-range';

// Read-ahead (READ_AHEAD; off by default: not faster on the bench's machine, docs/INDEXER.md):
// once a range is read, the next one is read while this one is decoded, sent and committed. It
// only reads (no write, so fencing is untouched), and the next tick uses it only if it starts
// right after the cursor that tick found, on the cursor's hash, after that tick's own
// re-organisation check; anything else (a rewind, a failed send or commit, a tick without
// progress) drops it and the range is read again. Its errors are those of a read, met by the
// tick that uses it.

/** A range read ahead: the next range, read while the current one was sent and committed. */
export interface ReadAhead {
  from: number;
  asked: number;
  /** The hash its first block's parent was checked against: the cursor it follows. */
  cursorHash: string | null;
  read: Promise<RangeRead>;
}

/**
 * Starts reading [from, asked] after `read` (as the next tick would, with the vaults known plus
 * those `read` found). Only reads; a failure is the next tick's, if it takes it.
 */
export function startReadAhead(deps: Parameters<typeof readRange>[0], read: RangeRead, from: number, asked: number, head: number, vaults: ReadonlySet<string>): ReadAhead {
  const cursorHash = read.headers.get(read.to)!.hash!;
  const known = new Set([...vaults, ...read.newVaults.map((v) => v.address)]);
  const next = readRange(deps, { from, to: asked, head, cursorHash }, known);
  next.catch(() => undefined); // dropped unread, it must not be an unhandled rejection
  return { from, asked, cursorHash, read: next };
}

/**
 * The read-ahead if it follows this cursor (number and hash, re-organisation checked by the
 * tick) and ends at or below this tick's target (a chain that got shorter); otherwise null (dropped).
 */
export function takeReadAhead(ahead: ReadAhead | null, cursor: number, cursorHash: string | null, target: number): ReadAhead | null {
  return ahead && ahead.from === cursor + 1 && ahead.cursorHash === cursorHash && ahead.asked <= target ? ahead : null;
}
