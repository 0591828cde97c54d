import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderManifests, workerLimits } from './manifest-limits';
import { inNoopJobs } from '../pipelines/noop-units';
import { table } from '../pipelines/report';

// The capacity model (docs/CAPACITY.md): from the CPU milliseconds one event costs each kind of
// process, how many events/s one core of each sustains, and what a deployment of N worker
// replicas can do: the minimum over its resources, each resource's throughput being its cores
// divided by its CPU ms per event. Redis runs commands on one thread, so one Redis (or one
// cluster master, which holds whole queues) is worth one core whatever the machine; a Postgres
// primary is worth its cores (linear scaling assumed, an optimistic bound).

export type Costs = Record<string, number>; // process group -> CPU ms per event

export interface Limits {
  /** KEDA maxReplicaCount and the container CPU limit (cores) per worker, from k8s/. */
  workers: Record<string, { maxReplicas: number; cpuLimit: number }>;
  /** Cores of the Postgres primary. */
  pgCores: number;
  /** Redis masters the stream's queues are spread over (1 = standalone or one hash tag). */
  redisMasters: number;
}

export interface Resource {
  name: string;
  /** Events/s one core (one replica's CPU limit, for workers) sustains. */
  perUnit: number;
  capacity: number;
}

const STREAM_WORKER: Record<string, string> = { trades: 'trade-worker', followers: 'follower-worker' };

/** Events/s one core of each process kind sustains for this stream. */
export function perCore(costs: Costs): Record<string, number> {
  return Object.fromEntries(Object.entries(costs).filter(([g, ms]) => ms > 0 && !g.includes(':')).map(([g, ms]) => [g, 1000 / ms]));
}

/**
 * The resources that bound a stream with `replicas` replicas of its writer. Redis: one master
 * is one core. In cluster mode the stream's queue sits on one master and the snapshot queue may
 * sit on another: the bound is the busiest master's CPU ms per event (`redis:busiest`, measured
 * by BENCH_REDIS=cluster); without that measurement, the whole Redis cost (no gain assumed).
 */
export function resources(kind: string, costs: Costs, limits: Limits, replicas: number): Resource[] {
  const writer = STREAM_WORKER[kind]!;
  const w = limits.workers[writer] ?? { maxReplicas: 1, cpuLimit: 1 };
  const snap = limits.workers['snapshot-worker'] ?? { maxReplicas: 1, cpuLimit: 1 };
  const rate = (ms: number | undefined) => (ms && ms > 0 ? 1000 / ms : Infinity);
  const redisMs = costs.redis ?? 0;
  const hottestMaster = limits.redisMasters > 1 ? (costs['redis:busiest'] ?? redisMs) : redisMs;
  return [
    { name: `${writer} x${replicas} (${w.cpuLimit} core each)`, perUnit: rate(costs[writer]), capacity: replicas * w.cpuLimit * rate(costs[writer]) },
    { name: `snapshot-worker x${snap.maxReplicas} (${snap.cpuLimit} core each)`, perUnit: rate(costs['snapshot-worker']), capacity: snap.maxReplicas * snap.cpuLimit * rate(costs['snapshot-worker']) },
    { name: `postgres primary (${limits.pgCores} cores)`, perUnit: rate(costs.postgres), capacity: limits.pgCores * rate(costs.postgres) },
    { name: limits.redisMasters > 1 ? `redis cluster (the stream's master)` : 'redis (one thread)', perUnit: rate(redisMs), capacity: rate(hottestMaster) },
  ];
}

export function predict(kind: string, costs: Costs, limits: Limits, replicas: number): { rate: number; limitedBy: string } {
  const rs = resources(kind, costs, limits, replicas);
  const min = rs.reduce((a, r) => (r.capacity < a.capacity ? r : a));
  return { rate: min.capacity, limitedBy: min.name };
}

/** KEDA maxReplicaCount and the worker container's CPU limit, from the rendered manifests (manifest-limits.ts). */
export function limitsFromManifests(dir = join(__dirname, '..', '..', 'k8s', 'base')): Limits['workers'] {
  let docs: unknown[] = [];
  try {
    docs = parseAllDocuments(renderManifests(dir)).map((d) => d.toJS() as unknown);
  } catch (err) {
    process.stderr.write(`capacity model: could not render ${dir} (kubectl kustomize: ${(err as Error).message.split('\n')[0]}); assuming 1 replica of 1 core per worker\n`);
  }
  return workerLimits(docs, (m) => process.stderr.write(`capacity model: ${m}\n`));
}


/** The model as text, for each measured stream. */
export function renderCapacity(streams: { kind: string; costs: Costs }[], pgCores = Number(process.env.BENCH_PG_CORES ?? 4), noopJobMs?: number): string {
  const workers = limitsFromManifests();
  const lines: string[] = ['Capacity model (docs/CAPACITY.md): events/s one core of each process sustains, from the CPU ms/event above'];
  const head = ['stream', 'writer', 'snapshot-worker', 'postgres', 'redis', 'bench (producer)'];
  const groups = (kind: string) => [STREAM_WORKER[kind]!, 'snapshot-worker', 'postgres', 'redis', 'bench'];
  lines.push(table(
    head,
    streams.map(({ kind, costs }) => {
      const pc = perCore(costs);
      const f = (g: string) => (pc[g] ? Math.round(pc[g]!) : '-');
      return [kind, ...groups(kind).map(f)];
    }),
  ));
  if (noopJobMs) {
    // The same costs in no-op jobs (bench/pipelines/noop-units.ts): a resource at c jobs per event sustains
    // 1/c of the no-op jobs one core runs per second, on any machine.
    lines.push(`The same in no-op jobs per event (1 no-op job = ${noopJobMs.toFixed(3)} CPU ms this run; one core runs ${Math.round(1000 / noopJobMs)} no-op jobs/s):`);
    lines.push(table(head, streams.map(({ kind, costs }) => [kind, ...inNoopJobs(costs, groups(kind), noopJobMs)])));
  }
  lines.push(`Predicted events/s by writer replicas (KEDA limits from k8s/base: ${Object.entries(workers).map(([n, w]) => `${n} max ${w.maxReplicas} x ${w.cpuLimit} core`).join(', ')}; postgres primary ${pgCores} cores, BENCH_PG_CORES):`);
  for (const { kind, costs } of streams) {
    const max = workers[STREAM_WORKER[kind]!]?.maxReplicas ?? 1;
    const ns = [...new Set([1, 2, 4, 8, max].filter((n) => n <= max))];
    const rows = ns.map((n) => {
      const one = predict(kind, costs, { workers, pgCores, redisMasters: 1 }, n);
      const cl = predict(kind, costs, { workers, pgCores, redisMasters: 3 }, n);
      return [`${kind} x${n}`, Math.round(one.rate), one.limitedBy, Math.round(cl.rate), cl.limitedBy];
    });
    lines.push(table(['replicas', 'one redis ev/s', 'limited by', 'redis cluster ev/s', 'limited by'], rows));
    const perReplica = resources(kind, costs, { workers, pgCores, redisMasters: 1 }, 1)[0]!.capacity;
    const redisCap = 1000 / (costs.redis || Infinity);
    const pgCap = (pgCores * 1000) / (costs.postgres || Infinity);
    lines.push(`  ${kind}: one replica ${Math.round(perReplica)} ev/s; one Redis saturates at ${Math.round(redisCap)} ev/s (${(redisCap / perReplica).toFixed(1)} replicas), a ${pgCores}-core Postgres primary at ${Math.round(pgCap)} ev/s (${(pgCap / perReplica).toFixed(1)} replicas)`);
  }
  return lines.join('\n');
}
