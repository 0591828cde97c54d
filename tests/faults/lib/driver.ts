import { Producer, createRedis, type QueueKey, type Redis } from '@vaults/shared';
import { toJob, type AnyEvent } from '@vaults/testkit';
import { sleep } from './util';

type Queue = ReturnType<Producer['queue']>;

export const EVENT_QUEUES: QueueKey[] = ['vault', 'trade', 'follower'];
export const ALL_QUEUES: QueueKey[] = ['vault', 'trade', 'follower', 'snapshot'];

/**
 * The suite's indexer. It adds raw jobs (`Queue.add(name, data)`: no job id, BullMQ's default
 * options), so every duplicate is really delivered, and sends at a set rate so that faults land
 * in the middle of the load. Its connection has the fail-fast profile (`createRedis(url,
 * 'fail-fast')`): while Redis is down an add fails at once; the driver notes the error, waits and
 * sends the same event again (an indexer's at-least-once).
 */
export class Driver {
  readonly redis: Redis;
  private readonly producer: Producer;
  sent = 0;
  readonly errors: { at: number; message: string; tookMs: number }[] = [];

  constructor(redisUrl: string, readonly prefix: string) {
    this.redis = createRedis(redisUrl, 'fail-fast');
    this.redis.on('error', () => undefined); // reported through the failed adds
    this.producer = new Producer({ connection: this.redis, prefix });
  }

  queue(key: QueueKey): Queue {
    return quiet(this.producer.queue(key));
  }

  async addRaw(key: QueueKey, name: string, data: unknown, opts?: Parameters<Queue['add']>[2]): Promise<string> {
    for (;;) {
      const t0 = Date.now();
      try {
        const job = await this.queue(key).add(name, data as never, opts);
        this.sent++;
        return job.id!;
      } catch (err) {
        this.errors.push({ at: t0, message: (err as Error).message, tookMs: Date.now() - t0 });
        await sleep(100);
      }
    }
  }

  /** Delivers the events in order at about `perSecond`, `parallel` adds in flight. */
  async deliver(events: AnyEvent[], perSecond = Infinity, parallel = 20): Promise<void> {
    const t0 = Date.now();
    let next = 0;
    const lane = async () => {
      for (;;) {
        const i = next++;
        if (i >= events.length) return;
        if (Number.isFinite(perSecond)) {
          const due = t0 + (i * 1000) / perSecond;
          if (due > Date.now()) await sleep(due - Date.now());
        }
        const [key, name, data] = toJob(events[i]!);
        await this.addRaw(key, name, data);
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
  }

  async close(): Promise<void> {
    await this.producer.close().catch(() => undefined);
    this.redis.disconnect();
  }
}

/**
 * Reads the queues (a worker-profile connection: it waits out outages instead of failing).
 */
export class QueueWatch {
  readonly redis: Redis;
  private readonly producer: Producer;

  constructor(redisUrl: string, prefix: string) {
    this.redis = createRedis(redisUrl, 'wait');
    this.redis.on('error', () => undefined);
    this.producer = new Producer({ connection: this.redis, prefix });
  }

  queue(key: QueueKey): Queue {
    return quiet(this.producer.queue(key));
  }

  async counts(key: QueueKey) {
    return this.queue(key).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed');
  }

  /** Nothing waiting, active or delayed in any queue, twice in a row `settleMs` apart. */
  async drained(timeoutMs: number, settleMs = 400): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let quietSince: number | undefined;
    for (;;) {
      let busy = false;
      for (const k of ALL_QUEUES) {
        const c = await this.counts(k);
        if (c.waiting || c.active || c.delayed || c.prioritized || c['waiting-children']) {
          busy = true;
          break;
        }
      }
      if (!busy) {
        quietSince ??= Date.now();
        if (Date.now() - quietSince >= settleMs) return quietSince;
      } else quietSince = undefined;
      if (Date.now() > deadline) throw new Error(`queues not drained after ${timeoutMs} ms: ${await this.describe()}`);
      await sleep(100);
    }
  }

  async describe(): Promise<string> {
    const parts: string[] = [];
    for (const k of ALL_QUEUES) {
      const c = await this.counts(k);
      parts.push(`${k} ${Object.entries(c).filter(([, n]) => n).map(([s, n]) => `${s}=${n}`).join(',') || 'empty'}`);
    }
    return parts.join('; ');
  }

  /** Every job of the event queues, for redelivery figures and failed reasons. */
  async jobs(key: QueueKey, states: ('completed' | 'failed')[] = ['completed', 'failed']) {
    const q = this.queue(key);
    const out = [];
    for (let start = 0; ; start += 1000) {
      const page = await q.getJobs(states, start, start + 999, true);
      out.push(...page.filter(Boolean));
      if (page.length < 1000) break;
    }
    return out;
  }

  async obliterate(): Promise<void> {
    for (const k of ALL_QUEUES) await this.queue(k).obliterate({ force: true }).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.producer.close().catch(() => undefined);
    this.redis.disconnect();
  }
}

/** A Queue with no 'error' listener prints every connection error (BullMQ's console.error fallback). */
function quiet(q: Queue): Queue {
  if (!q.listenerCount('error')) q.on('error', () => undefined);
  return q;
}
