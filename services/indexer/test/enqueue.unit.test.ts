import { eventJobOf, toJob, trade, follower } from '@vaults/testkit';
import type { EventJob, Producer } from '@vaults/shared';
import { enqueueJobs, enqueueRemovals } from '../src/enqueue';
import { createIndexerMetrics } from '../src/metrics';
import type { SentLog } from '../src/store';

// Grouping a range's events by queue must be linear in the number of events: a copy of the
// queue's list per event (as an earlier version did) blocked the event loop for 99 s at 80,000 events.
// Measured by operations, not time: every step of an array iterator (what a spread copy costs per
// element) is counted, and the count must stay within a constant per event.

const N = 80_000;

function events(n: number) {
  return Array.from({ length: n }, (_, i) =>
    i % 3 === 0 ? follower(1 + (i % 7), 100 + i, 'DEPOSIT', 5n, { logIndex: i, blockNumber: 10 + (i >> 8) }) : trade(1 + (i % 7), 1n, { logIndex: i, blockNumber: 10 + (i >> 8) }),
  );
}

const jobs = (n: number): EventJob[] => events(n).map(eventJobOf);

/** Logs as the store remembers them after they were sent. */
function sentLogs(n: number): SentLog[] {
  return events(n).map((e) => {
    const [, kind, payload] = toJob(e);
    return { blockNumber: e.blockNumber, blockHash: e.blockHash, txHash: e.txHash, logIndex: e.logIndex, kind, payload };
  });
}

/** A producer that only records the jobs handed to it. */
function recordingProducer() {
  const jobs = new Map<string, { name: string; opts: { jobId?: string } }[]>();
  const producer = {
    queue: (key: string) => ({
      addBulk: async (chunk: { name: string; opts: { jobId?: string } }[]) => {
        if (!jobs.has(key)) jobs.set(key, []);
        for (let i = 0; i < chunk.length; i++) jobs.get(key)!.push(chunk[i]!);
        return [];
      },
    }),
  } as unknown as Producer;
  return { producer, jobs };
}

/** Runs fn counting array-iterator steps; throws once `limit` is passed (a quadratic run stops early). */
async function countIteratorSteps(limit: number, fn: () => Promise<void>): Promise<number> {
  const original = Array.prototype[Symbol.iterator];
  let steps = 0;
  Array.prototype[Symbol.iterator] = function (this: unknown[]) {
    const it = original.call(this);
    return {
      next() {
        if (++steps > limit) throw new Error(`more than ${limit} array-iterator steps: not linear`);
        return it.next();
      },
      [Symbol.iterator]() {
        return this;
      },
    } as ArrayIterator<unknown>;
  } as typeof original;
  try {
    await fn();
  } finally {
    Array.prototype[Symbol.iterator] = original;
  }
  return steps;
}

it(`groups ${N} events by queue in linear work, every job once`, async () => {
  const large = jobs(N);
  const { producer, jobs: added } = recordingProducer();
  // A few steps per job today: a bound of 60 per job is linear with room; a copy of the queue's
  // list per job needs ~N²/6 = 10⁹ steps and stops at the bound.
  const steps = await countIteratorSteps(60 * N, () => enqueueJobs(producer, large, 500, createIndexerMetrics('enqueue-test')));
  expect(steps).toBeGreaterThanOrEqual(N); // the counter did count (each job is iterated at least once)
  expect(added.get('trade')).toHaveLength(N - Math.ceil(N / 3));
  expect(added.get('follower')).toHaveLength(Math.ceil(N / 3));
  const ids = [...added.get('trade')!, ...added.get('follower')!].map((j) => j.opts.jobId);
  expect(new Set(ids).size).toBe(N);
});

it('yields to the event loop while it validates the removals of a wide range', async () => {
  const many = sentLogs(5_000);
  let turns = 0;
  let running = true;
  const spin = () => {
    turns++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  const { producer } = recordingProducer();
  const before = turns;
  // Everything up to the first addBulk is synchronous unless the loop yields.
  const done = enqueueRemovals(producer, many, 100_000, createIndexerMetrics('enqueue-test-2'));
  await done;
  running = false;
  expect(turns - before).toBeGreaterThanOrEqual(4); // one per YIELD_EVERY (1000) events at least
});
