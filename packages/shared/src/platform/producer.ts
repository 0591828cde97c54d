import { Queue, type JobsOptions } from 'bullmq';
import { eventJob, snapshotDedupId, type EventKind } from '../contract';
import { parsePayload, queueName, type QueueKey } from '../contract';
import { InvalidPayloadError } from '../contract';
import type {
  CalculateSnapshot,
  CalculateSnapshotInput,
  FollowerEventInput,
  TradeExecutedInput,
  VaultDeployedInput,
} from '../contract';
import type { Redis } from './redis';
import { isCluster, queuePrefix } from './redis-cluster';

/**
 * What an indexer calls to enqueue events. It validates each payload before it reaches Redis
 * (a bad event is the indexer's bug: it should hear of it at once, not find it in a failed set),
 * gives each event a job id derived from its identity (so a re-sent event is not queued twice
 * while its copy is retained) and bounded retention. The workers use it too, for the follow-up
 * jobs they enqueue (snapshot requests, through the runner's Infra.producer).
 */
export interface ProducerOptions {
  /** A producer-profile connection (fails fast while Redis is down). */
  connection: Redis;
  prefix?: string;
  /** Appended to every queue name: lets tests and benchmarks use queues of their own. */
  queueSuffix?: string;
  /**
   * true (default): an add while Redis is not connected fails at once with a clear error, even
   * on a connection that has never been ready (BullMQ would otherwise wait for it). false: wait
   * for Redis (the workers' own follow-up jobs, which may as well wait in place).
   */
  failFast?: boolean;
  /**
   * Connection errors of the queues. BullMQ prints an unhandled one with console.error, and an
   * ioredis reply error carries its command's arguments (AUTH passwords included): never let it.
   */
  onError?: (err: Error) => void;
  /** With failFast, how long an add waits for a connection that is not ready yet. Default 1000. */
  readyTimeoutMs?: number;
}

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

export class Producer {
  private readonly queues = new Map<QueueKey, Queue>();

  constructor(private readonly opts: ProducerOptions) {}

  queue(key: QueueKey): Queue {
    let q = this.queues.get(key);
    if (!q) {
      const name = queueName(key, this.opts.queueSuffix);
      q = new Queue(name, {
        connection: this.opts.connection,
        // On a cluster each queue has a hash tag of its own (a snapshot request from the trade
        // worker goes to another slot, perhaps another master): see queuePrefix.
        prefix: queuePrefix(this.opts.prefix ?? 'bull', name, isCluster(this.opts.connection)),
      });
      q.on('error', (err: Error) => this.opts.onError?.(err));
      this.queues.set(key, q);
    }
    return q;
  }

  vaultDeployed(event: VaultDeployedInput) {
    return this.addEvent('VaultDeployed', event);
  }

  tradeExecuted(event: TradeExecutedInput) {
    return this.addEvent('TradeExecuted', event);
  }

  /** The job name follows the action (eventRoute: the action decides; the name is informative). */
  followerEvent(event: FollowerEventInput) {
    return this.addEvent('FollowerSubscribed', event);
  }

  /**
   * calculateSnapshot for several vaults (the requests of one tick): one add per vault, all
   * written at once. Not `addBulk`: its ioredis pipeline costs the trade worker more CPU per
   * request than separate adds and Redis no less (Redis reads the adds of one tick together either
   * way; docs/BENCHMARK.md, "Why the code is as it is"). Each add applies its job's deduplication,
   * keepLastIfActive included. The vaults should be distinct: a second request of one vault in
   * one call is a second add, deduplicated.
   */
  async calculateSnapshots(requests: readonly CalculateSnapshotInput[]) {
    const jobs = requests.map((request) => validate('snapshot', 'CalculateSnapshot', request) as CalculateSnapshot);
    await this.assertConnected();
    const queue = this.queue('snapshot');
    return Promise.all(jobs.map((data) => queue.add('CalculateSnapshot', data, snapshotJobOptions(data))));
  }

  /** Fail fast: a connection still coming up gets a moment, one that is down an error. */
  private async assertConnected(): Promise<void> {
    const redis = this.opts.connection;
    if (!(this.opts.failFast ?? true) || redis.status === 'ready') return;
    const waitMs = this.opts.readyTimeoutMs ?? 1000;
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), waitMs);
      const onReady = () => done(true);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        redis.off('ready', onReady);
        resolve(ok);
      };
      redis.once('ready', onReady);
    });
    if (!ready) {
      throw new RedisUnavailableError(`Redis is unavailable (connection ${redis.status} after ${waitMs} ms): the job was not added`);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

  private async addEvent(kind: EventKind, event: unknown) {
    const job = eventJob(kind, event);
    await this.assertConnected();
    return this.queue(job.queue).add(job.name, job.data, job.opts);
  }
}

function snapshotJobOptions(data: CalculateSnapshot): JobsOptions {
  return {
    deduplication: { id: snapshotDedupId(data.chainId, data.vaultAddress), keepLastIfActive: true },
    removeOnComplete: true,
    // removeOnFail: the snapshot worker's FAILED_JOB_RETENTION_DAYS (see EVENT_JOB_RETENTION).
  };
}

function validate(key: QueueKey, name: string, payload: unknown): Record<string, unknown> {
  const parsed = parsePayload(key, name, payload);
  if (!parsed.ok) throw new InvalidPayloadError(parsed.reason);
  return parsed.data;
}
