import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { createRedis, isCluster, queueName, queuePrefix, type QueueKey, type Redis } from '@vaults/shared';
import { createTestDatabase, TEST_REDIS_URL, unlinkPrefix, type TestDatabase } from '@vaults/testkit';

// One bench run's own world: a fresh migrated database and a Redis key prefix nobody else
// uses (the worker processes honour QUEUE_PREFIX). close() removes both.

export interface Session {
  id: string;
  prefix: string;
  redisUrl: string;
  db: TestDatabase;
  /** The bench's own connection (counting rows, reading timestamps). */
  pg: Client;
  redis: Redis;
  /** The redis-server processes to meter: the run's own (INFO process_id, or the servers the bench started); unset for a remote Redis: every redis-server here. */
  redisPids?: () => number[];
  queue(key: QueueKey): Queue;
  /** A queue outside the contract (ceiling, producer rate), under the same prefix. */
  queueNamed(name: string): Queue;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** The Redis the run uses: TEST_REDIS_URL by default; a cluster URL for BENCH_REDIS=cluster. */
  redisUrl?: string;
  /** The redis-server pids to meter, when the bench started its own. */
  redisPids?: () => number[];
  /** The Postgres server for the run's database: TEST_DATABASE_URL by default. */
  pgUrl?: string;
  /** Creates the run's database instead (the baseline's, migrated by its own tree: tree-run.ts). */
  database?: () => Promise<TestDatabase>;
  /** Goes into the queue prefix (`bench-base-<id>`), so a side's keys are told apart. */
  label?: string;
}

export async function openSession(opts: SessionOptions = {}): Promise<Session> {
  const { redisUrl = TEST_REDIS_URL, redisPids } = opts;
  const id = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const prefix = `bench-${opts.label ? `${opts.label}-` : ''}${id}`;
  const db = opts.database ? await opts.database() : await createTestDatabase('vaults_bench', opts.pgUrl);
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const redis = createRedis(redisUrl, 'wait');
  // Meter the redis-server this run talks to, not every one on the machine (neighbours run theirs).
  const pids = redisPids ?? (isCluster(redis) ? undefined : await localRedisPid(redis));
  const queues = new Map<string, Queue>();
  const queueNamed = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: redis, prefix: queuePrefix(prefix, name, isCluster(redis)) });
      queues.set(name, q);
    }
    return q;
  };
  let closed = false;
  return {
    id, prefix, redisUrl, redisPids: pids, db, pg, redis, queueNamed,
    queue: (key) => queueNamed(queueName(key)),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const q of queues.values()) await q.close().catch(() => undefined);
      await unlinkPrefix(redis, prefix);
      redis.disconnect();
      await pg.end().catch(() => undefined);
      await db.drop();
    },
  };
}

/** The pid of a standalone Redis on this machine (INFO's process_id), if it is one here. */
async function localRedisPid(redis: Redis): Promise<(() => number[]) | undefined> {
  const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
  try {
    return pid && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'redis-server' ? () => [pid] : undefined;
  } catch {
    return undefined; // a remote Redis: no process to meter here
  }
}
