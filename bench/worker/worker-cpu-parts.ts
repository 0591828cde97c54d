import { Writable } from 'node:stream';
import {
  LazyJobContext, Producer, amount, signedAmount, createLogger, createRedis, jobLogger, parsePayload, snapshotDedupId, tickWrites, tradeExecutedSchema, type Redis,
} from '@vaults/shared';
import { LocalRedis, toJob } from '@vaults/testkit';
import { EventFactory } from '../lib/events';
import { cpuSeconds } from '../lib/probes';
import { median } from '../lib/stats';

// The trade worker's per-job parts one at a time, in this process, so that each change's effect
// is measured alone (bench/worker/worker-cpu.ts measures them together, end to end, under the noise of a
// shared machine). Each line: microseconds of CPU per job (process.cpuUsage), median of 5 runs.
// Snapshot requests run against a redis-server of their own: its CPU and read events are theirs.
//   pnpm exec tsx bench/worker/worker-cpu-parts.ts

const N = Number(process.env.WORKER_CPU_PARTS_N ?? 20_000);
const factory = new EventFactory(300, 100);
const trades = factory.trades(N).map((t) => toJob(t)[2] as Record<string, string>);

function cpuUs(run: () => void): number {
  const xs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage();
    run();
    const t = process.cpuUsage(t0);
    xs.push((t.user + t.system) / N);
  }
  return median(xs);
}

async function cpuUsAsync(run: () => Promise<void>, redisPid: number): Promise<[number, number]> {
  const xs: number[] = [];
  const rs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage();
    const r0 = cpuSeconds(redisPid);
    await run();
    const t = process.cpuUsage(t0);
    xs.push((t.user + t.system) / N);
    rs.push(((cpuSeconds(redisPid) - r0) * 1e6) / N);
  }
  return [median(xs), median(rs)];
}

function validation() {
  const zod = cpuUs(() => trades.forEach((t) => tradeExecutedSchema.safeParse(t)));
  const now = cpuUs(() => trades.forEach((t) => parsePayload('trade', 'TradeExecuted', t)));
  const amounts = cpuUs(() => trades.forEach((t) => [amount.parse(t.amountIn), amount.parse(t.amountOut), signedAmount.parse(t.pnl)]));
  console.log(`validation of a trade payload: zod ${zod.toFixed(2)} us, parsePayload now ${now.toFixed(2)} us, its three amounts ${amounts.toFixed(2)} us`);
}

function logging() {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const log = createLogger('trade-worker', 'warn', { destination: sink });
  const child = cpuUs(() => trades.forEach((t, i) => jobLogger(log, 'TradeProcessingQueue', String(i), t)));
  const lazy = cpuUs(() => trades.forEach((t, i) => new LazyJobContext(log, 'TradeProcessingQueue', String(i), t)));
  console.log(`job logger per job: child made up front ${child.toFixed(2)} us, made on first use (unused) ${lazy.toFixed(2)} us`);
}

/** Ticks of ~40 trades' vaults (a committed batch), as the trade worker sees them. */
function ticks(): { chainId: number; vaultAddress: string }[][] {
  const out: { chainId: number; vaultAddress: string }[][] = [];
  for (let i = 0; i < trades.length; i += 40) {
    const vaults = new Map(trades.slice(i, i + 40).map((t) => [t.vaultAddress as string, { chainId: 1, vaultAddress: t.vaultAddress as string }]));
    out.push([...vaults.values()]);
  }
  return out;
}

async function snapshotRequests(redis: Redis, pid: number) {
  const producer = new Producer({ connection: redis, prefix: 'parts', failFast: false });
  const batches = ticks();
  const adds = batches.reduce((a, b) => a + b.length, 0);
  const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await redis.info('stats'))![1]);
  const one = async (each: (b: typeof batches[number]) => Promise<unknown>) => {
    for (let i = 0; i < batches.length; i += 4) await Promise.all(batches.slice(i, i + 4).map(each)); // 4 batches in flight
  };
  const queue = producer.queue('snapshot');
  const opts = (v: { chainId: number; vaultAddress: string }) => ({
    deduplication: { id: snapshotDedupId(v.chainId, v.vaultAddress), keepLastIfActive: true }, removeOnComplete: true, removeOnFail: { age: 7 * 24 * 3600 },
  });
  const variants: [string, (b: typeof batches[number]) => Promise<unknown>][] = [
    ['one add per vault (Producer.calculateSnapshots)', (b) => producer.calculateSnapshots(b)],
    ['one addBulk per tick', (b) => queue.addBulk(b.map((v) => ({ name: 'CalculateSnapshot', data: v, opts: opts(v) })))],
  ];
  for (const [name, each] of process.env.WORKER_CPU_PARTS_REVERSE === '1' ? variants.reverse() : variants) {
    const r0 = await reads();
    const [client, server] = await cpuUsAsync(() => one(each), pid);
    const r1 = await reads();
    console.log(`snapshot requests (${(adds / N).toFixed(2)} vaults per trade), ${name}: trade worker ${client.toFixed(2)} us, redis ${server.toFixed(2)} us, redis reads ${((r1 - r0) / 5 / N).toFixed(3)} per trade`);
  }
  await producer.close();
}

/**
 * A committed batch's completions: 100 jobs resume together and each sends a script call the
 * size of BullMQ's moveToFinished (12 keys, 10 arguments), written one by one or corked for the
 * run of the microtask queue (platform/tick-writes.ts, what the runner does).
 */
async function completions(redis: Redis, pid: number) {
  const BATCH = 100;
  const client = redis as Redis & { partsFinish(...args: string[]): Promise<unknown> };
  redis.defineCommand('partsFinish', { numberOfKeys: 12, lua: 'return 1' });
  const keys = Array.from({ length: 12 }, (_, i) => `parts:{TradeProcessingQueue}:key-${i}`);
  const args = (i: number) => [...keys, String(i), 'completed', '{"ok":true}', String(Date.now()), 'returnvalue', 'finishedOn', '1', '0', 'x'.repeat(120), '1'];
  const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await redis.info('stats'))![1]);
  const variants: [string, () => void][] = [['written one by one', () => undefined], ['corked for the tick (tickWrites)', tickWrites(redis)]];
  for (const [name, beforeEach] of process.env.WORKER_CPU_PARTS_REVERSE === '1' ? variants.reverse() : variants) {
    const run = async () => {
      for (let i = 0; i < N; i += BATCH) {
        let release!: () => void;
        const together = new Promise<void>((r) => (release = r));
        const jobs = Array.from({ length: BATCH }, (_, j) => together.then(() => {
          beforeEach();
          return client.partsFinish(...args(i + j));
        }));
        release();
        await Promise.all(jobs);
      }
    };
    const r0 = await reads();
    const [us, server] = await cpuUsAsync(run, pid);
    const r1 = await reads();
    console.log(`a batch's completions (${BATCH} script calls in one tick), ${name}: worker ${us.toFixed(2)} us, redis ${server.toFixed(2)} us, redis reads ${((r1 - r0) / 5 / N).toFixed(3)} per job`);
  }
}

async function main() {
  validation();
  logging();
  const local = await LocalRedis.start();
  const redis = createRedis(local.url(), 'wait');
  try {
    await completions(redis, local.proc.pid!);
    await snapshotRequests(redis, local.proc.pid!);
  } finally {
    redis.disconnect();
    await local.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
