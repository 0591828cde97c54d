import { Client } from 'pg';
import { startNoise, type AnyEvent } from '@vaults/testkit';
import type { Queue } from 'bullmq';
import { bulkJobs, enqueuePaced, type EnqueueTimes } from '../lib/enqueue';
import { KINDS, type Kind } from './pipeline';
import { cpuMeter, createdAtByHash, drained, scrapeAll, snapshotRuns, snapshotsRun, type Rig } from '../lib/rig';
import type { Settings } from '../lib/settings';
import { percentiles, pollUntil, type Percentiles } from '../lib/stats';
import type { System } from '../lib/system';

// Latency at a steady rate. A row's createdAt is its transaction's start (Postgres now()), which
// comes before the commit; so for this phase the bench database gets a trigger that NOTIFYs each
// new Trade / FollowerEvent row's txHash. Postgres delivers a notification only when its
// transaction commits, so the time this process receives it is the moment the effect became
// visible to readers: enqueue-to-commit, measured on one clock. (The trigger exists only in the
// throwaway bench database and only from this phase on; it adds one pg_notify per row.)

const CHANNEL = 'bench_commit';

export async function installCommitNotify(pg: Client): Promise<void> {
  await pg.query(`
    CREATE OR REPLACE FUNCTION bench_commit_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_notify('${CHANNEL}', NEW."txHash"); RETURN NULL; END $$;
    CREATE OR REPLACE TRIGGER bench_commit_trade AFTER INSERT ON "Trade" FOR EACH ROW EXECUTE FUNCTION bench_commit_notify();
    CREATE OR REPLACE TRIGGER bench_commit_follower AFTER INSERT ON "FollowerEvent" FOR EACH ROW EXECUTE FUNCTION bench_commit_notify();`);
}

export interface LatencyResult {
  kind: Kind;
  targetRate: number;
  events: number;
  /** Rate the paced producer achieved. */
  achievedRate: number;
  /** Enqueue -> commit (notification received). */
  commit: Percentiles;
  /** Enqueue -> createdAt (transaction start), for comparison with the throughput phases. */
  txStart: Percentiles;
  /** Where the time goes: enqueue -> a worker took the job (BullMQ processedOn) ... */
  queued: Percentiles;
  /** ... and from then until the commit. */
  processing: Percentiles;
  snapshotRunsPerEvent: number;
  cpu: Record<string, number>;
  machineBusy: number;
  /** Busy processes the bench ran beside this phase (BENCH_NOISE); absent when quiet. */
  noise?: number;
}

export async function runLatency(rig: Rig, kind: Kind, events: AnyEvent[], perSecond: number): Promise<LatencyResult> {
  const k = KINDS[kind];
  const listener = new Client({ connectionString: rig.s.db.url });
  await listener.connect();
  const wanted = new Set(events.map((e) => e.txHash));
  const committed = new Map<string, number>();
  listener.on('notification', (n) => {
    if (n.payload && wanted.has(n.payload) && !committed.has(n.payload)) committed.set(n.payload, Date.now());
  });
  try {
    await listener.query(`LISTEN ${CHANNEL}`);
    const before = await scrapeAll(rig);
    const times: EnqueueTimes = new Map();
    const meter = cpuMeter(rig);
    const { startedAt, endedAt } = await enqueuePaced(rig.s.queue(k.queue), events, perSecond, times);
    const cpu = meter.stop();
    await pollUntil(async () => committed.size >= events.length, 120_000, `${events.length} ${kind} commits`);
    await drained(rig, snapshotsRun(rig) ? [k.queue, 'snapshot'] : [k.queue], 120_000);
    const after = await scrapeAll(rig);
    const created = await createdAtByHash(rig, k.table, events.map((e) => e.txHash));
    const since = (m: Map<string, number>) => events.map((e) => m.get(e.txHash)! - times.get(e.txHash)!);
    const taken = await processedOn(rig.s.queue(k.queue), events);
    return {
      kind,
      targetRate: perSecond,
      events: events.length,
      achievedRate: Math.round((events.length * 1000) / (endedAt - startedAt)),
      commit: percentiles(since(committed)),
      txStart: percentiles(since(created)),
      queued: percentiles(events.filter((e) => taken.has(e.txHash)).map((e) => taken.get(e.txHash)! - times.get(e.txHash)!)),
      processing: percentiles(events.filter((e) => taken.has(e.txHash)).map((e) => committed.get(e.txHash)! - taken.get(e.txHash)!)),
      snapshotRunsPerEvent: snapshotRuns(before, after) / events.length,
      cpu: cpu.cores,
      machineBusy: cpu.machineBusy,
    };
  } finally {
    await listener.end();
  }
}

/**
 * Both pipelines at `rates` (main.ts: half of each pipeline's end-to-end rate measured in the same
 * run, so the rows measure the system at half load, not queueing near capacity) for
 * settings.latencySeconds, then the same again beside a noisy neighbour (BENCH_NOISE busy
 * processes, default 1): a platform's pods share nodes; the latency goal must hold when the
 * machine is not ours alone. The hogs end with this process.
 */
export async function runLatencyPhases(system: System, settings: Settings, rates: Record<Kind, number>, log: (m: string) => void): Promise<LatencyResult[]> {
  const { rig, factory: f, delivered } = system;
  await installCommitNotify(rig.s.pg);
  const out: LatencyResult[] = [];
  for (const noise of settings.noise > 0 ? [0, settings.noise] : [0]) {
    const hogs = startNoise(noise);
    try {
      for (const kind of ['trades', 'followers'] as const) {
        const n = rates[kind] * settings.latencySeconds;
        const events = kind === 'trades' ? f.trades(n) : f.followerEvents(n);
        delivered.push(...events);
        log(`${kind} at ${rates[kind]}/s for ${settings.latencySeconds} s${noise ? ` beside ${noise} busy process(es)` : ''}`);
        const r = await runLatency(rig, kind, events, rates[kind]);
        out.push(noise ? { ...r, noise } : r);
      }
    } finally {
      await hogs.stop();
    }
  }
  return out;
}

/** When a worker took each event's job (BullMQ's processedOn), by txHash; completed jobs are retained. */
async function processedOn(queue: Queue, events: AnyEvent[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const jobs = bulkJobs(events);
  for (let i = 0; i < jobs.length; i += 200) {
    const found = await Promise.all(jobs.slice(i, i + 200).map((j) => queue.getJob(j.opts.jobId)));
    found.forEach((job, n) => {
      if (job?.processedOn) out.set(events[i + n]!.txHash, job.processedOn);
    });
  }
  return out;
}
