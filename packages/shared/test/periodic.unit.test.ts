import { startPeriodic } from '../src/platform/periodic';

// The runner's repeated work (ServiceDefinition.periodic): one run at a time, the next an interval
// after the previous one ended; stop() cancels the next run and waits for the one under way.

afterEach(() => jest.useRealTimers());

it('runs every interval after the previous run ended, one at a time; stop waits for the run under way and cancels the next', async () => {
  jest.useFakeTimers();
  let runs = 0;
  let finish: () => void = () => undefined;
  const errors: unknown[] = [];
  const p = startPeriodic(
    1000,
    () => {
      runs++;
      if (runs === 2) return Promise.reject(new Error('two'));
      return new Promise<void>((resolve) => (finish = resolve));
    },
    (err) => errors.push(err),
  );
  await jest.advanceTimersByTimeAsync(999);
  expect(runs).toBe(0);
  await jest.advanceTimersByTimeAsync(1);
  expect(runs).toBe(1);
  // The first run has not ended: no second one, however long.
  await jest.advanceTimersByTimeAsync(5000);
  expect(runs).toBe(1);
  finish();
  await jest.advanceTimersByTimeAsync(1000);
  // The second run failed: logged, and the third comes an interval later.
  expect(runs).toBe(2);
  expect(errors.map((e) => (e as Error).message)).toEqual(['two']);
  await jest.advanceTimersByTimeAsync(1000);
  expect(runs).toBe(3);

  let stopped = false;
  const stopping = p.stop().then(() => (stopped = true));
  await jest.advanceTimersByTimeAsync(0);
  expect(stopped).toBe(false);
  finish();
  await stopping;
  await jest.advanceTimersByTimeAsync(10_000);
  expect(runs).toBe(3);
});
