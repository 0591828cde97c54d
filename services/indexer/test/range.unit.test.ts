import { AdaptiveRange, boundByLogs, isRangeLimitError, isRateLimitError } from '../src/range';

describe('AdaptiveRange', () => {
  it('halves on shrink down to one block, then reports that shrinking cannot help', () => {
    const r = new AdaptiveRange(8, 100);
    expect(r.shrink()).toBe(true);
    expect(r.current).toBe(4);
    r.shrink();
    r.shrink();
    expect(r.current).toBe(1);
    expect(r.shrink()).toBe(false);
  });

  it('grows by half after two full-size successes, never past max; partial ranges do not count', () => {
    const r = new AdaptiveRange(10, 20);
    r.succeeded(10);
    expect(r.current).toBe(10);
    r.succeeded(10);
    expect(r.current).toBe(15);
    r.succeeded(3);
    r.succeeded(3);
    expect(r.current).toBe(15);
    r.succeeded(15);
    r.succeeded(15);
    expect(r.current).toBe(20);
  });

  it('does not grow back to a size that failed, until that failure is old', () => {
    const r = new AdaptiveRange(16, 100, 1, 5);
    r.shrink(); // 16 failed: 8
    for (let i = 0; i < 3; i++) r.succeeded(r.current);
    expect(r.current).toBe(15);
    r.succeeded(15); // the fifth success since the failure: the cap is forgotten
    r.succeeded(15);
    expect(r.current).toBeGreaterThan(16);
  });

  it('fit() takes the size of a range cut by its logs, and may grow again from there', () => {
    const r = new AdaptiveRange(500, 5000);
    r.fit(40);
    expect(r.current).toBe(40);
    r.fit(100); // never grows by a fit
    expect(r.current).toBe(40);
    r.succeeded(40);
    r.succeeded(40);
    expect(r.current).toBe(60);
  });

  it('next() never passes the target', () => {
    const r = new AdaptiveRange(100, 100);
    expect(r.next(5, 50)).toEqual([5, 50]);
    expect(r.next(5, 500)).toEqual([5, 104]);
  });
});

describe('isRangeLimitError', () => {
  it.each([
    'query returned more than 10000 results',
    'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range',
    'block range is too large',
    'exceed maximum block range: 5000',
    'eth_getLogs is limited to a 10,000 range',
    'The request timed out.',
    'HTTP response body exceeded the size limit.',
  ])('recognises "%s"', (message) => {
    expect(isRangeLimitError(new Error(message))).toBe(true);
  });

  it('does not take a connection error for a limit', () => {
    expect(isRangeLimitError(new Error('fetch failed: ECONNREFUSED'))).toBe(false);
    expect(isRangeLimitError({ name: 'TimeoutError', message: 'x' })).toBe(true);
  });
});

describe('rate limits are not range limits (they back off, never shrink the range)', () => {
  it.each([
    'rate limit exceeded',
    'Too Many Requests',
    'Your app has exceeded its compute units per second capacity. If you have retries enabled, you can safely ignore this message.',
    'daily request count exceeded, request rate limited',
    'capacity exceeded',
    'project ID request rate exceeded',
    'You have exceeded the limit of 25 requests per second',
  ])('"%s" is a rate limit, not a range limit', (message) => {
    expect(isRateLimitError(new Error(message))).toBe(true);
    expect(isRangeLimitError(new Error(message))).toBe(false);
  });

  it('an HTTP 429 is a rate limit whatever its text', () => {
    const err = Object.assign(new Error('HTTP request failed.'), { status: 429 });
    expect(isRateLimitError(err)).toBe(true);
    expect(isRangeLimitError(err)).toBe(false);
  });

  it('the range messages are not rate limits', () => {
    expect(isRateLimitError(new Error('query returned more than 10000 results'))).toBe(false);
    expect(isRateLimitError(new Error('exceed maximum block range: 5000'))).toBe(false);
  });
});

describe('boundByLogs (MAX_LOGS_PER_RANGE)', () => {
  const logsAt = (...blocks: number[]) => blocks.map((b, i) => ({ blockNumber: BigInt(b), i }));

  it('keeps a range within the bound as it is', () => {
    const logs = logsAt(10, 11, 12);
    expect(boundByLogs(logs, 10, 20, 3)).toEqual({ to: 20, logs });
  });

  it('cuts before the block whose logs pass the bound, never inside a block', () => {
    const logs = logsAt(10, 10, 11, 12, 12, 12, 15);
    expect(boundByLogs(logs, 10, 20, 4)).toEqual({ to: 11, logs: logs.slice(0, 3) });
    expect(boundByLogs(logs, 10, 20, 6)).toEqual({ to: 14, logs: logs.slice(0, 6) });
  });

  it('keeps a first block with more logs than the bound whole (it cannot be split)', () => {
    const logs = logsAt(10, 10, 10, 11);
    expect(boundByLogs(logs, 10, 20, 2)).toEqual({ to: 10, logs: logs.slice(0, 3) });
  });
});
