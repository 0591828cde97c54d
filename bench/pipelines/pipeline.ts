import type { QueueKey } from '@vaults/shared';
import type { AnyEvent } from '@vaults/testkit';
import { rate, type RateResult } from './ceiling';
import { enqueueBurst, type EnqueueTimes } from '../lib/enqueue';
import { WaitSampler } from './pg-waits';
import { countRows, explainTimeout, cpuMeter, createdAtByHash, delta, drained, scrapeAll, snapshotRuns, snapshotsRun, type Rig } from '../lib/rig';
import { metricSum } from '../lib/processes';
import { cpuCost } from '../lib/probes';
import { percentiles, pollUntil, type Percentiles } from '../lib/stats';

// One pipeline end to end, with the real worker processes: from the first enqueue until the
// database holds a row for every event (counted), then until the snapshots it caused are done.

export type Kind = 'trades' | 'followers';

export const KINDS: Record<Kind, { queue: QueueKey; table: 'Trade' | 'FollowerEvent'; worker: string; operation: string }> = {
  trades: { queue: 'trade', table: 'Trade', worker: 'trade-worker', operation: 'record_trades' },
  followers: { queue: 'follower', table: 'FollowerEvent', worker: 'follower-worker', operation: 'record_follower_events' },
};

export interface PipelineResult extends RateResult {
  kind: Kind;
  /** Until the snapshot queue was empty too. */
  drainSeconds: number;
  producer: RateResult;
  /** Enqueue -> createdAt of the row (its transaction's start): a lower bound of enqueue-to-commit. */
  latency: Percentiles;
  snapshotRuns: number;
  snapshotRunsPerEvent: number;
  batch: { transactions: number; meanJobs: number; meanTxMs: number };
  snapshotMeanTxMs: number;
  retried: number;
  /** Snapshot jobs re-queued: mostly tries that found the vault's lock held by writers (lock protocol rule 5). */
  snapshotRetried: number;
  failed: number;
  /** Cores used from the first enqueue until the snapshot queue was empty. */
  cpu: Record<string, number>;
  /** CPU milliseconds each event cost, per process group, over the same interval. */
  cpuMsPerEvent: Record<string, number>;
  /** What the measured CPU cost per event would allow if the whole machine were ours. */
  projectedPerSecond: number;
  machineBusy: number;
  /** Event-loop delay of each worker over the phase (prom-client's monitorEventLoopDelay), ms. */
  eventLoopLagMs: Record<string, { p50: number; p99: number; max: number }>;
  pgWaits: { state: string; share: number; backends: number }[];
}

export async function runPipeline(rig: Rig, kind: Kind, events: AnyEvent[], chunk: number): Promise<PipelineResult> {
  const k = KINDS[kind];
  const target = (await countRows(rig, k.table)) + events.length;
  const timeoutMs = Math.max(120_000, events.length * 10);
  const before = await scrapeAll(rig);
  const times: EnqueueTimes = new Map();
  const sampler = new WaitSampler(rig.sampler, rig.s.db.name);
  const meter = cpuMeter(rig);
  sampler.start();

  const producing = enqueueBurst(rig.s.queue(k.queue), events, chunk, times);
  const effectsAt = await explainTimeout(rig, [k.queue], pollUntil(async () => (await countRows(rig, k.table)) >= target, timeoutMs, `${events.length} ${kind} rows`));
  const { startedAt, endedAt } = await producing;
  const pgWaits = sampler.stop();
  const drainedAt = await drained(rig, snapshotsRun(rig) ? [k.queue, 'snapshot'] : [k.queue], timeoutMs);
  const cpu = meter.stop();
  const after = await scrapeAll(rig);

  const created = await createdAtByHash(rig, k.table, events.map((e) => e.txHash));
  const latencies = events.map((e) => created.get(e.txHash)! - times.get(e.txHash)!);
  const runs = snapshotRuns(before, after);
  const d = (metric: string, workerName = k.worker, op = k.operation) => delta(before, after, workerName, metric, { operation: op });
  const transactions = d('vaults_db_batch_size_jobs_count');
  return {
    kind,
    ...rate(events.length, effectsAt - startedAt),
    drainSeconds: (drainedAt - startedAt) / 1000,
    producer: rate(events.length, endedAt - startedAt),
    latency: percentiles(latencies),
    snapshotRuns: runs,
    snapshotRunsPerEvent: runs / events.length,
    batch: {
      transactions,
      meanJobs: d('vaults_db_batch_size_jobs_sum') / Math.max(1, transactions),
      meanTxMs: (1000 * d('vaults_db_transaction_duration_seconds_sum')) / Math.max(1, d('vaults_db_transaction_duration_seconds_count')),
    },
    snapshotMeanTxMs:
      (1000 * d('vaults_db_transaction_duration_seconds_sum', 'snapshot-worker', 'snapshot')) /
      Math.max(1, d('vaults_db_transaction_duration_seconds_count', 'snapshot-worker', 'snapshot')),
    retried: delta(before, after, k.worker, 'vaults_jobs_retried_total'),
    snapshotRetried: delta(before, after, 'snapshot-worker', 'vaults_jobs_retried_total'),
    failed: delta(before, after, k.worker, 'vaults_jobs_failed_total'),
    cpu: cpu.cores,
    ...cpuCost(cpu, events.length),
    machineBusy: cpu.machineBusy,
    eventLoopLagMs: Object.fromEntries(
      [...after].map(([name, samples]) => [
        name,
        {
          p50: round(1000 * metricSum(samples, 'nodejs_eventloop_lag_p50_seconds')),
          p99: round(1000 * metricSum(samples, 'nodejs_eventloop_lag_p99_seconds')),
          max: round(1000 * metricSum(samples, 'nodejs_eventloop_lag_max_seconds')),
        },
      ]),
    ),
    pgWaits,
  };
}

const round = (x: number) => Math.round(x * 10) / 10;
