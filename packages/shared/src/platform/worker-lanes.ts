import { Worker, type Processor, type WorkerOptions } from 'bullmq';

// Why lanes. A BullMQ Worker fetches jobs one after another (one Redis round trip each) until it
// holds `concurrency` of them or the queue is empty, and only then starts the first; each job's
// lock starts ticking at its fetch but is renewed only once its processing has started. With a
// high concurrency and a slow Redis, a job can wait unstarted longer than its lock and be taken
// over as stalled and run again; and every burst pays concurrency x round trip before any work
// starts (measured in the fault suite: docs/BENCHMARK.md, "Why the code is as it is"). Several
// Workers on one queue, each of at most LANE_CONCURRENCY jobs, fetch in parallel: a job waits at
// most LANE_CONCURRENCY round trips before it starts and its lock is renewed.

export const LANE_CONCURRENCY = 20;

/** Per-lane concurrencies that add up to `total`, none above `max`. */
export function laneSizes(total: number, max = LANE_CONCURRENCY): number[] {
  const n = Math.max(1, Math.ceil(total / max));
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** The runner's view of its Workers: one queue, one processor, `concurrency` split into lanes. */
export class WorkerLanes {
  readonly lanes: Worker[];

  constructor(queue: string, processor: Processor, opts: WorkerOptions & { concurrency: number }) {
    // Each lane is a full Worker with its own blocking connection (BullMQ duplicates the one given).
    this.lanes = laneSizes(opts.concurrency).map((concurrency) => new Worker(queue, processor, { ...opts, concurrency }));
  }

  onError(listener: (err: Error) => void): void {
    for (const w of this.lanes) w.on('error', listener);
  }

  /** True once any lane has begun to close. */
  get closing(): boolean {
    return this.lanes.some((w) => !!w.closing);
  }

  isRunning(): boolean {
    return this.lanes.every((w) => w.isRunning());
  }

  async run(): Promise<void> {
    await Promise.all(this.lanes.map((w) => w.run()));
  }

  async waitUntilReady(): Promise<void> {
    await Promise.all(this.lanes.map((w) => w.waitUntilReady()));
  }

  async close(force = false): Promise<void> {
    await Promise.all(this.lanes.map((w) => w.close(force)));
  }
}
