import { NoBlockBeforeError, lastBlockBefore, parseTime, type HeaderSource } from '../src/block-at-time';

// rewind --time: the last block mined strictly before the time, found by a binary search over a
// header source; here a fake chain whose timestamps never decrease (several blocks may share one).

function chain(timestamps: number[]): HeaderSource & { reads: number } {
  const src = {
    reads: 0,
    head: async () => timestamps.length - 1,
    timestampOf: async (n: number) => {
      src.reads++;
      const t = timestamps[n];
      if (t === undefined) throw new Error(`no block ${n}`);
      return t;
    },
  };
  return src;
}

/** The answer by reading every block: what the search must agree with. */
const linear = (ts: number[], time: number, lowest = 0) => {
  let found = -1;
  for (let n = lowest; n < ts.length; n++) if (ts[n]! < time) found = n;
  return found;
};

it('agrees with a linear scan for every time on a chain with gaps and equal timestamps', async () => {
  const ts = [100, 112, 112, 112, 130, 131, 200, 200, 260, 261, 262, 400];
  for (let time = 101; time <= 401; time++) {
    expect({ time, block: (await lastBlockBefore(chain(ts), time)).block }).toEqual({ time, block: linear(ts, time) });
  }
});

it('returns the block mined before the time, not the one mined at it', async () => {
  const ts = [0, 12, 24, 36, 48];
  expect(await lastBlockBefore(chain(ts), 36)).toMatchObject({ block: 2, timestamp: 24 });
  expect(await lastBlockBefore(chain(ts), 37)).toMatchObject({ block: 3, timestamp: 36 });
});

it('reads about log2(head) headers on a long chain', async () => {
  const ts = Array.from({ length: 1_000_001 }, (_, n) => 1_600_000_000 + 12 * n);
  const src = chain(ts);
  const time = 1_600_000_000 + 12 * 654_321 + 5;
  expect((await lastBlockBefore(src, time)).block).toBe(654_321);
  expect(src.reads).toBeLessThanOrEqual(2 + Math.ceil(Math.log2(ts.length)));
});

it('the head when the time is after it; an error when no block at or above the lowest is before it', async () => {
  const ts = [50, 60, 70];
  expect((await lastBlockBefore(chain(ts), 1000)).block).toBe(2);
  await expect(lastBlockBefore(chain(ts), 50)).rejects.toThrow(NoBlockBeforeError);
  await expect(lastBlockBefore(chain(ts), 65, 2)).rejects.toThrow(/block 2 was mined at/);
});

it('reads --time as unix seconds or an ISO-8601 date-time with a zone', () => {
  expect(parseTime('1700000000')).toBe(1_700_000_000);
  expect(parseTime('2023-11-14T22:13:20Z')).toBe(1_700_000_000);
  expect(parseTime('2023-11-14T23:13:20+01:00')).toBe(1_700_000_000);
  expect(() => parseTime('2023-11-14T22:13:20')).toThrow(/with a zone/);
  expect(() => parseTime('yesterday')).toThrow(/with a zone|not an ISO/);
});
