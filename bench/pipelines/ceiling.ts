import type { ChildProcess } from 'node:child_process';
import type { AnyEvent } from '@vaults/testkit';
import { enqueueBurst } from '../lib/enqueue';
import { CpuMeter, cpuCost, memoryMb, pidsNamed } from '../lib/probes';
import { spawnTs } from '../lib/processes';
import type { Session } from '../lib/session';
import { percentiles, type Percentiles } from '../lib/stats';

export interface RateResult {
  events: number;
  seconds: number;
  perSecond: number;
}

/** The producer alone: addBulk into a queue that no worker reads. */
export async function measureProducer(s: Session, events: AnyEvent[], chunk: number): Promise<RateResult> {
  const queue = s.queueNamed('BenchProducerQueue');
  const r = await enqueueBurst(queue, events, chunk);
  await queue.obliterate({ force: true });
  return rate(events.length, r.endedAt - r.startedAt);
}

export interface CeilingResult extends RateResult {
  concurrency: number;
  latency: Percentiles;
  cpu: Record<string, number>;
  cpuMsPerEvent: Record<string, number>;
  projectedPerSecond: number;
  machineBusy: number;
  peakRssMb: number;
  /** The no-op worker's event-loop delay while it drained the jobs, ms. */
  eventLoopLagMs: { p99: number; max: number };
}

/**
 * The no-op ceiling, measured like a pipeline: the worker process is up, then the same jobs
 * (payloads, ids, retention) are added in chunks; from the first add until the worker has
 * completed every job.
 */
export async function measureCeiling(s: Session, events: AnyEvent[], chunk: number, concurrency: number): Promise<CeilingResult> {
  const name = `BenchCeilingQueue-c${concurrency}`;
  const child = spawnTs('bench/pipelines/noop-worker.ts', 'noop-worker', {
    ...process.env, REDIS_URL: s.redisUrl, QUEUE_PREFIX: s.prefix, BENCH_QUEUE: name,
    BENCH_EXPECT: String(events.length), WORKER_CONCURRENCY: String(concurrency),
  }, true);
  try {
    await message(child, 'ready');
    const done = message<{ at: number; latencies: number[]; eventLoopLagMs: { p99: number; max: number } }>(child, 'done');
    const meter = new CpuMeter({ 'noop-worker': () => [child.pid!], redis: () => s.redisPids?.() ?? pidsNamed('redis-server'), bench: () => 'self' });
    const { startedAt } = await enqueueBurst(s.queueNamed(name), events, chunk);
    const { at, latencies, eventLoopLagMs } = await done;
    const cpu = meter.stop();
    const peakRssMb = memoryMb(child.pid!).peak;
    return {
      ...rate(events.length, at - startedAt), concurrency, latency: percentiles(latencies), cpu: cpu.cores,
      ...cpuCost(cpu, events.length), machineBusy: cpu.machineBusy, peakRssMb, eventLoopLagMs,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'stop' });
      await exited;
    }
    await s.queueNamed(name).obliterate({ force: true });
  }
}

function message<T = unknown>(child: ChildProcess, type: string, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no-op worker: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null) => reject(new Error(`no-op worker exited (${code}) before "${type}"`));
    child.once('exit', onExit);
    child.on('message', function onMessage(m: { type: string }) {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    });
  });
}

export function rate(events: number, ms: number): RateResult {
  return { events, seconds: ms / 1000, perSecond: Math.round((events * 1000) / Math.max(1, ms)) };
}
