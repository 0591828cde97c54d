import { randomBytes } from 'node:crypto';
import { Producer, createRedis, type QueueKey } from '@vaults/shared';
import { workerNames } from '../../deploy/support/repo';
import { freePort } from '../../faults/lib/util';
import { removeContainers, runToEnd, startContainer, type Container } from './containers';
import { MIGRATE_IMAGE, serviceImage } from './images';
import { dbUrl, dropDatabase } from './postgres';
import { onInterrupt } from './cleanup';
import { waitFor } from './sh';

// The system from its images: a database of this run migrated by the migrate image, then one
// container per worker service (every folder under services/ whose name ends in -worker), all on
// this machine's Postgres and Redis, under a queue prefix of this run.

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const QUEUES: QueueKey[] = ['vault', 'trade', 'follower', 'snapshot'];
const PENDING = ['waiting', 'active', 'delayed', 'prioritized'] as const;
/** The manifests' values: SHUTDOWN_TIMEOUT_MS below terminationGracePeriodSeconds. */
export const SHUTDOWN_TIMEOUT_MS = 30_000;
export const GRACE_SECONDS = 45;

export interface Worker extends Container {
  service: string;
  port: number;
  env: Record<string, string>;
}

export interface System {
  tag: string;
  prefix: string;
  databaseUrl: string;
  workers: Worker[];
  producer: Producer;
  close(): Promise<void>;
}

export async function startSystem(): Promise<System> {
  const tag = randomBytes(3).toString('hex');
  const prefix = `ci-containers-${tag}`;
  const databaseUrl = dbUrl(`vaults_ci_system_${tag}`);
  // The run's own database: created by the migration because this asks for it (MIGRATE_CREATE_DATABASE).
  const migrated = await runToEnd(`vaults-ci-migrate-system-${tag}`, MIGRATE_IMAGE, { MIGRATION_DATABASE_URL: databaseUrl, MIGRATE_CREATE_DATABASE: 'true' });
  await removeContainers([`vaults-ci-migrate-system-${tag}`]);
  if (migrated.code !== 0) throw new Error(`the migrate image failed: ${migrated.stderr}${migrated.stdout}`);

  const workers: Worker[] = [];
  for (const service of workerNames()) {
    const port = await freePort(19100);
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      METRICS_PORT: String(port),
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    };
    workers.push({ name: `vaults-ci-${service}-${tag}`, image: serviceImage(service), service, port, env });
  }
  await Promise.all(workers.map((w) => startContainer(w, w.env)));
  const connection = createRedis(REDIS_URL, 'fail-fast');
  connection.on('error', () => undefined);
  const producer = new Producer({ connection, prefix });
  const unregister = onInterrupt(() => removeContainers(workers.map((w) => w.name)));
  return {
    tag,
    prefix,
    databaseUrl,
    workers,
    producer,
    async close() {
      unregister();
      await removeContainers(workers.map((w) => w.name));
      for (const q of QUEUES) await producer.queue(q).obliterate({ force: true }).catch(() => undefined);
      await producer.close().catch(() => undefined);
      connection.disconnect();
      await dropDatabase(databaseUrl).catch(() => undefined);
    },
  };
}

/** Jobs not yet settled, per queue. */
export async function pending(producer: Producer): Promise<Record<QueueKey, number>> {
  const out = {} as Record<QueueKey, number>;
  for (const q of QUEUES) {
    const counts = await producer.queue(q).getJobCounts(...PENDING);
    out[q] = PENDING.reduce((s, k) => s + (counts[k] ?? 0), 0);
  }
  return out;
}

/** Every queue empty, looked at upstream first (a running trade may still ask for a snapshot). */
export async function drain(producer: Producer, timeoutMs: number): Promise<void> {
  await waitFor(async () => Object.values(await pending(producer)).every((n) => n === 0), timeoutMs, 'every queue drained', 200);
}
