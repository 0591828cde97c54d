import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'bullmq';
import { createRedis, isCluster, queuePrefix } from '@vaults/shared';

// The ceiling: a BullMQ worker that does nothing with its jobs, in a process of its own like
// the real workers. It reports over IPC when it has completed BENCH_EXPECT jobs, with its
// event-loop delay from ready until then: what BullMQ alone does to a worker's event loop on this
// machine under full load, the reference for the workers' own (same resolution as prom-client's).

const expect = Number(process.env.BENCH_EXPECT);
const connection = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'wait');
const latencies: number[] = [];
const loop = monitorEventLoopDelay({ resolution: 10 });
const ms = (ns: number) => Math.round(ns / 1e5) / 10;

const worker = new Worker(process.env.BENCH_QUEUE!, async () => undefined, {
  connection,
  prefix: queuePrefix(process.env.QUEUE_PREFIX ?? 'bull', process.env.BENCH_QUEUE!, isCluster(connection)),
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 100),
});
worker.on('completed', (job) => {
  latencies.push(Date.now() - job.timestamp);
  if (latencies.length === expect) {
    process.send!({ type: 'done', at: Date.now(), latencies, eventLoopLagMs: { p99: ms(loop.percentile(99)), max: ms(loop.max) } });
  }
});
worker.on('error', (err) => process.stderr.write(`noop worker error: ${err.message}\n`));
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'stop') void stop();
});
async function stop(): Promise<void> {
  await worker.close();
  connection.disconnect();
  process.exit(0);
}
void worker.waitUntilReady().then(() => {
  loop.enable();
  process.send!({ type: 'ready' });
});
