import { Batcher, type Outcome } from '../src';

describe('Batcher (group commit)', () => {
  it('shares one flush among concurrent submissions and settles each with its own outcome', async () => {
    const flushes: number[][] = [];
    const b = new Batcher<number, string>({
      maxSize: 10,
      maxWaitMs: 1,
      flush: async (items) => {
        flushes.push(items);
        return items.map((i): Outcome<string> => (i === 3 ? { ok: false, error: new Error('three') } : { ok: true, value: `v${i}` }));
      },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => b.submit(i)));
    expect(flushes).toEqual([[1, 2, 3, 4]]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['v1', 'v2', 'three', 'v4']);
  });

  it('flushes at maxSize without waiting for the timer', async () => {
    const flushes: number[][] = [];
    const b = new Batcher<number, number>({ maxSize: 2, maxWaitMs: 60_000, flush: async (items) => (flushes.push(items), items.map((value) => ({ ok: true, value }))) });
    await Promise.all([b.submit(1), b.submit(2)]);
    expect(flushes).toEqual([[1, 2]]);
  });

  it('when a whole batch fails, retries each item alone so only the poison item fails', async () => {
    const calls: number[][] = [];
    const b = new Batcher<number, number>({
      maxSize: 100,
      maxWaitMs: 1,
      flush: async (items) => {
        calls.push(items);
        if (items.includes(13)) throw new Error('poison row');
        return items.map((value) => ({ ok: true, value }));
      },
    });
    const results = await Promise.allSettled([11, 12, 13, 14].map((i) => b.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(calls[0]).toEqual([11, 12, 13, 14]);
    expect(calls.slice(1).sort()).toEqual([[11], [12], [13], [14]]);
  });

  it('drain() waits for batches under way', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let done = false;
    const b = new Batcher<number, number>({ maxSize: 100, maxWaitMs: 60_000, flush: async (items) => (await gate, (done = true), items.map((value) => ({ ok: true, value }))) });
    const p = b.submit(1);
    const drained = b.drain();
    release();
    await drained;
    expect(done).toBe(true);
    await expect(p).resolves.toBe(1);
  });
});
