import { Queue } from 'bullmq';
import {
  QUEUES,
  createRedis,
  eventJob,
  eventRoute,
  isCluster,
  queueName,
  queuePrefix,
  startService,
  type QueueKey,
  type Redis,
  type RunningService,
  type AnyServiceDefinition,
  type EventJob,
  type EventKind,
} from '@vaults/shared';
import type { AnyEvent } from './reference';
import { TEST_REDIS_URL } from './database';

/** The environment for services under test: a database of their own, fast retries, any port. */
export function testEnv(databaseUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    LOG_LEVEL: 'silent',
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    RETRY_BASE_DELAY_MS: '20',
    RETRY_MAX_DELAY_MS: '200',
    RETRY_MAX_ATTEMPTS: '200',
    DB_POOL_SIZE: '5',
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...extra,
  };
}

/** Services run in this process against their own queues (suffix) and database. */
export class Harness {
  readonly services: RunningService[] = [];
  private readonly redis: Redis;
  private readonly queues = new Map<QueueKey, Queue>();

  constructor(
    readonly databaseUrl: string,
    readonly queueSuffix: string,
    readonly env: Record<string, string> = {},
  ) {
    this.redis = createRedis(TEST_REDIS_URL, 'wait');
  }

  async start(defs: AnyServiceDefinition[]): Promise<void> {
    for (const def of defs) {
      this.services.push(await startService(def, { env: testEnv(this.databaseUrl, this.env), queueSuffix: this.queueSuffix }));
    }
  }

  queue(key: QueueKey): Queue {
    let q = this.queues.get(key);
    if (!q) {
      const name = queueName(key, this.queueSuffix);
      q = new Queue(name, { connection: this.redis, prefix: queuePrefix(this.env.QUEUE_PREFIX ?? 'bull', name, isCluster(this.redis)) });
      this.queues.set(key, q);
    }
    return q;
  }

  /**
   * Adds one raw job per event with BullMQ's defaults (no job id, one attempt): any producer.
   * All at once (addBulk per queue), so that the workers see them concurrently.
   */
  async deliver(events: AnyEvent[]): Promise<void> {
    const byQueue = new Map<QueueKey, { name: string; data: Record<string, unknown> }[]>();
    for (const e of events) {
      const [key, name, data] = toJob(e);
      byQueue.set(key, [...(byQueue.get(key) ?? []), { name, data }]);
    }
    await Promise.all([...byQueue].map(([key, jobs]) => this.queue(key).addBulk(jobs)));
  }

  async addRaw(key: QueueKey, name: string, data: unknown): Promise<string> {
    const job = await this.queue(key).add(name, data);
    return job.id!;
  }

  /** Waits until no queue has waiting, active, delayed or prioritized jobs (upstream first). */
  async drained(timeoutMs = 60_000): Promise<void> {
    const order: QueueKey[] = ['vault', 'trade', 'follower', 'snapshot'];
    await waitUntil(async () => {
      for (const k of order) {
        const c = await this.queue(k).getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        if (Object.values(c).some((n) => n > 0)) return false;
      }
      return true;
    }, timeoutMs, 'queues to drain');
  }

  async failedReasons(key: QueueKey): Promise<string[]> {
    const failed = await this.queue(key).getFailed();
    return failed.map((j) => j.failedReason);
  }

  async close(): Promise<void> {
    for (const s of this.services.splice(0)) await s.close();
    for (const q of this.queues.values()) await q.obliterate({ force: true }).catch(() => undefined);
    for (const q of this.queues.values()) await q.close();
    this.redis.disconnect();
  }
}

/** A follower event's job name follows its action (eventRoute), whichever follower kind is named. */
const KIND_OF = { deploy: 'VaultDeployed', trade: 'TradeExecuted', follower: 'FollowerSubscribed' } as const satisfies Record<AnyEvent['type'], EventKind>;

/** A reference event's queue, job name and raw payload (the event without its `type`), as the contract routes it. */
export function toJob(e: AnyEvent): [QueueKey, string, Record<string, unknown>] {
  const { type, ...data } = e;
  const route = eventRoute(KIND_OF[type], data)!;
  return [route.queue, route.name, data];
}

/** A reference event's job as a producer adds it (validated payload, job id, retention: the contract's eventJob). */
export function eventJobOf(e: AnyEvent): EventJob {
  const { type, ...data } = e;
  return eventJob(KIND_OF[type], data);
}

/** Polls a condition until it holds; fails with what it was waiting for. */
export async function waitUntil(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export { QUEUES };
