import { Worker } from 'bullmq';
import { createRedis, isCluster, queuePrefix } from '@vaults/shared';

// The ceiling: a BullMQ worker that does nothing with its jobs, in a process of its own like
// the real workers. It reports over IPC when it has completed BENCH_EXPECT jobs.

const expect = Number(process.env.BENCH_EXPECT);
const connection = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'wait');
const latencies: number[] = [];

const worker = new Worker(process.env.BENCH_QUEUE!, async () => undefined, {
  connection,
  prefix: queuePrefix(process.env.QUEUE_PREFIX ?? 'bull', process.env.BENCH_QUEUE!, isCluster(connection)),
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 100),
});
worker.on('completed', (job) => {
  latencies.push(Date.now() - job.timestamp);
  if (latencies.length === expect) process.send!({ type: 'done', at: Date.now(), latencies });
});
worker.on('error', (err) => process.stderr.write(`noop worker error: ${err.message}\n`));
process.on('message', async (msg: { type: string }) => {
  if (msg.type !== 'stop') return;
  await worker.close();
  connection.disconnect();
  process.exit(0);
});
void worker.waitUntilReady().then(() => process.send!({ type: 'ready' }));
