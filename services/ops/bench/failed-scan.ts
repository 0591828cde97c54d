import { UnrecoverableError, Worker } from 'bullmq';
import { createRedis, queueName } from '@vaults/shared';
import { TEST_REDIS_URL, createTestDatabase, trade, uniqueQueueSuffix, waitUntil } from '@vaults/testkit';
import { runCli } from '../src/cli';

// What `vaults-ops status` and `retry-failed --dry-run` cost on a large failed set: both read the
// whole set in pages (to count by reason). N trade jobs are failed (as the runner fails an invalid
// one), then each command runs once with 0 and once with N failed jobs, in this one run.
//   pnpm exec tsx services/ops/bench/failed-scan.ts [N]   (default 20000)

const N = Number(process.argv[2] ?? 20_000);

async function timed(argv: string[], env: NodeJS.ProcessEnv, suffix: string): Promise<number> {
  const started = performance.now();
  const code = await runCli(argv, env, { out: () => undefined, err: (l) => process.stderr.write(`${l}\n`) }, { queueSuffix: suffix });
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}`);
  return performance.now() - started;
}

async function main(): Promise<void> {
  const db = await createTestDatabase('vaults_bench');
  const redis = createRedis(TEST_REDIS_URL, 'wait');
  const suffix = uniqueQueueSuffix();
  const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL };
  try {
    const empty = { status: await timed(['status'], env, suffix), retry: await timed(['retry-failed', '--queue', 'TradeProcessingQueue', '--dry-run'], env, suffix) };
    const { Queue } = await import('bullmq');
    const queue = new Queue(queueName('trade', suffix), { connection: redis });
    for (let i = 0; i < N; i += 1000) {
      await queue.addBulk(Array.from({ length: Math.min(1000, N - i) }, () => ({ name: 'TradeExecuted', data: { ...trade(1, '1'), amountIn: 'x' } })));
    }
    const worker = new Worker(queue.name, async () => {
      throw new UnrecoverableError('invalid TradeExecuted payload: amountIn: must be a base-10 integer string');
    }, { connection: redis, concurrency: 200 });
    await waitUntil(async () => (await queue.getFailedCount()) === N, 300_000, `${N} failed jobs`);
    await worker.close();
    const full = { status: await timed(['status'], env, suffix), retry: await timed(['retry-failed', '--queue', 'TradeProcessingQueue', '--dry-run'], env, suffix) };
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
    console.log(`failed set of ${N}: status ${full.status.toFixed(0)} ms (${(full.status / empty.status).toFixed(1)}x an empty one, ${empty.status.toFixed(0)} ms); ` +
      `retry-failed --dry-run ${full.retry.toFixed(0)} ms (${(full.retry / empty.retry).toFixed(1)}x, ${empty.retry.toFixed(0)} ms); ` +
      `${((full.status * 1000) / N).toFixed(0)} µs per failed job; process RSS after: ${rss} MiB`);
    await queue.obliterate({ force: true });
    await queue.close();
  } finally {
    redis.disconnect();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
