import { DelayedError, type Job } from 'bullmq';
import { Writable } from 'node:stream';
import { RetryLaterError, createJobProcessor, createLogger, createMetrics, defineService, loadConfig } from '../src';

// A handler's RetryLaterError with a delay of its own (the snapshot's lock tries): the job is
// re-queued after exactly that delay, not the back-off, the run is handed to the handler as
// `attempt`, and the line is at debug, not info (it is expected, and frequent under load).

function setup(handler: (attempt: number) => Promise<void>) {
  const lines: { level: number; msg: string; delay?: number }[] = [];
  const log = createLogger('test', 'debug', { destination: new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }) });
  const def = defineService({
    name: 'snapshot-worker',
    queue: 'snapshot',
    createDeps: () => ({}),
    handlers: { CalculateSnapshot: async (_p, _d, ctx) => handler(ctx.attempt) },
  });
  const config = loadConfig({ RETRY_BASE_DELAY_MS: '10000', RETRY_MAX_DELAY_MS: '10000', RETRY_MAX_ATTEMPTS: '20' }, { concurrency: 1, metricsPort: 0 });
  const process = createJobProcessor({ def, deps: {}, config, log, metrics: createMetrics('test'), queue: 'SnapshotCalculationQueue' });
  return { process, lines };
}

// A fixed clock: the delays are read off moveToDelayed's timestamp exactly.
const NOW = 1_700_000_000_000;
beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
afterEach(() => jest.restoreAllMocks());

const job = (attemptsStarted: number) => {
  const moveToDelayed = jest.fn(async () => undefined);
  const j = { name: 'CalculateSnapshot', id: 'j1', data: { chainId: 1, vaultAddress: `0x${'ab'.repeat(20)}` }, attemptsStarted, moveToDelayed };
  return { job: j as unknown as Job, moveToDelayed };
};

it("re-queues after the handler's own delay, at debug, and tells the handler which run it is", async () => {
  const seen: number[] = [];
  const { process, lines } = setup(async (attempt) => {
    seen.push(attempt);
    throw new RetryLaterError('writers hold its lock', 40);
  });
  const { job: j, moveToDelayed } = job(3);
  await expect(process(j, 'token')).rejects.toBeInstanceOf(DelayedError);
  expect(seen).toEqual([3]);
  expect(moveToDelayed.mock.calls).toEqual([[NOW + 40, 'token']]); // not the back-off (5-10 s here)
  expect(lines.filter((l) => l.msg.startsWith('retrying later'))).toEqual([expect.objectContaining({ level: 20, delay: 40 })]);
});

it('without a delay of its own, backs off and logs at info as before', async () => {
  const { process, lines } = setup(async () => {
    throw new RetryLaterError('vault not known yet');
  });
  const { job: j, moveToDelayed } = job(1);
  await expect(process(j, 'token')).rejects.toBeInstanceOf(DelayedError);
  const [[at]] = moveToDelayed.mock.calls as unknown as [[number]];
  expect(at - NOW).toBeGreaterThanOrEqual(5_000); // equal jitter on a 10 s base: 5-10 s
  expect(at - NOW).toBeLessThanOrEqual(10_000);
  expect(lines.filter((l) => l.msg.startsWith('retrying later'))).toEqual([expect.objectContaining({ level: 30 })]);
});
