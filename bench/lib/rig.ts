import { Client } from 'pg';
import type { QueueKey } from '@vaults/shared';
import { CpuMeter, pidsNamed, postgresPidsFor, type CpuGroups } from './probes';
import { metricSum, scrape, type Sample, type WorkerProcess } from './processes';
import type { Session } from './session';
import { pollUntil } from './stats';

// The running system under test: the session (database, queues) and the worker processes,
// with the questions every phase asks of it.

export interface Rig {
  s: Session;
  workers: WorkerProcess[];
  /** A second connection for the wait-event sampler, so it never delays row counting. */
  sampler: Client;
}

export function worker(rig: Rig, name: string): WorkerProcess {
  const w = rig.workers.find((p) => p.name === name);
  if (!w) throw new Error(`no ${name} process`);
  return w;
}

/** Whether a snapshot worker runs (a tuning run may leave it out to see what snapshots cost). */
export function snapshotsRun(rig: Rig): boolean {
  return rig.workers.some((w) => w.name === 'snapshot-worker');
}

export async function countRows(rig: Rig, table: 'Trade' | 'FollowerEvent' | 'Vault'): Promise<number> {
  const { rows } = await rig.s.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
  return rows[0]!.n;
}

/** Until no job of these queues is waiting, active, delayed or prioritized (upstream first). */
export async function drained(rig: Rig, keys: QueueKey[], timeoutMs: number): Promise<number> {
  return explainTimeout(rig, keys, pollUntil(
    async () => {
      for (const k of keys) {
        const c = await rig.s.queue(k).getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        if (Object.values(c).some((n) => n > 0)) return false;
      }
      return true;
    },
    timeoutMs,
    `queues ${keys.join(', ')} to drain`,
    20,
  ));
}

/** A timeout says what the queues hold (retries pile up in 'delayed'; see the workers' log lines). */
export async function explainTimeout<T>(rig: Rig, keys: QueueKey[], waiting: Promise<T>): Promise<T> {
  try {
    return await waiting;
  } catch (err) {
    const counts = await Promise.all(keys.map(async (k) => `${k}: ${JSON.stringify(await rig.s.queue(k).getJobCounts('waiting', 'active', 'delayed', 'failed'))}`));
    throw new Error(`${(err as Error).message}; queues ${counts.join('; ')}`);
  }
}

/** Enqueue time (ms) -> createdAt of each row by txHash (createdAt: its transaction's start). */
export async function createdAtByHash(rig: Rig, table: 'Trade' | 'FollowerEvent', hashes: string[]): Promise<Map<string, number>> {
  const { rows } = await rig.s.pg.query<{ h: string; t: number }>(
    `SELECT "txHash" AS h, (extract(epoch FROM "createdAt" AT TIME ZONE current_setting('TimeZone')) * 1000)::float8 AS t
       FROM "${table}" WHERE "txHash" = ANY($1::text[])`,
    [hashes],
  );
  return new Map(rows.map((r) => [r.h, r.t]));
}

export function cpuMeter(rig: Rig): CpuMeter {
  const groups: CpuGroups = Object.fromEntries(rig.workers.map((w) => [w.name, () => [w.pid]]));
  return new CpuMeter({ ...groups, postgres: () => postgresPidsFor(rig.s.db.name), redis: () => rig.s.redisPids?.() ?? pidsNamed('redis-server'), bench: () => 'self' });
}

export async function scrapeAll(rig: Rig): Promise<Map<string, Sample[]>> {
  return new Map(await Promise.all(rig.workers.map(async (w) => [w.name, await scrape(w.port)] as const)));
}

/** The change of a counter (or histogram _sum/_count) of one worker between two scrapes. */
export function delta(before: Map<string, Sample[]>, after: Map<string, Sample[]>, workerName: string, metric: string, match: Record<string, string> = {}): number {
  return metricSum(after.get(workerName) ?? [], metric, match) - metricSum(before.get(workerName) ?? [], metric, match);
}

export function snapshotRuns(before: Map<string, Sample[]>, after: Map<string, Sample[]>): number {
  return delta(before, after, 'snapshot-worker', 'vaults_jobs_completed_total', { job_name: 'CalculateSnapshot' });
}
