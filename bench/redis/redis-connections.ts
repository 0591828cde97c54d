// pnpm bench:redis-connections — Redis connections one worker process holds, by WORKER_CONCURRENCY
// (docs/CAPACITY.md, "Redis connections"). A trade-worker started in this process against a Redis
// of its own (nothing else connected), counted with CLIENT LIST once it is ready: all of them, and
// the blocking ones (a BullMQ Worker's, one per lane of LANE_CONCURRENCY jobs; on an idle queue
// each waits in BZPOPMIN).
import { createRedis, laneSizes, startService } from '@vaults/shared';
import { tradeWorker } from '@vaults/trade-worker';
import { LocalRedis, createTestDatabase, testEnv } from '@vaults/testkit';

const CONCURRENCIES = (process.env.BENCH_CONCURRENCIES ?? '20,100,400').split(',').map(Number);

async function main(): Promise<void> {
  const redis = await LocalRedis.start();
  const db = await createTestDatabase('vaults_bench_conn');
  const admin = createRedis(redis.url(), 'fail-fast');
  const rows: string[] = ['| WORKER_CONCURRENCY | lanes | connections | of which blocking (a Worker each) |', '|---:|---:|---:|---:|'];
  try {
    for (const concurrency of CONCURRENCIES) {
      const service = await startService(tradeWorker, { env: testEnv(db.url, { REDIS_URL: redis.url(), WORKER_CONCURRENCY: String(concurrency) }) });
      try {
        const own = String(await admin.client('ID'));
        const clients = String(await admin.client('LIST')).split('\n').filter((l) => l.startsWith('id=') && !l.startsWith(`id=${own} `));
        // A BullMQ Worker's blocking connection waits in BZPOPMIN (its last command) between jobs.
        const blocking = clients.filter((l) => / cmd=bzpopmin\b/.test(l)).length;
        rows.push(`| ${concurrency} | ${laneSizes(concurrency).length} | ${clients.length} | ${blocking} |`);
      } finally {
        await service.close();
      }
    }
  } finally {
    admin.disconnect();
    await db.drop();
    await redis.stop();
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
