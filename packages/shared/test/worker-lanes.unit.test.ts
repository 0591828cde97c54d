import { LANE_CONCURRENCY, laneSizes } from '../src/platform/worker-lanes';

describe('worker lanes', () => {
  it('splits a concurrency into lanes of at most LANE_CONCURRENCY that add up to it', () => {
    for (const total of [1, 2, 19, 20, 21, 100, 399, 400, 401]) {
      const sizes = laneSizes(total);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(LANE_CONCURRENCY);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('keeps a small concurrency in one lane', () => {
    expect(laneSizes(2)).toEqual([2]);
    expect(laneSizes(400, 50)).toEqual([50, 50, 50, 50, 50, 50, 50, 50]);
  });
});
