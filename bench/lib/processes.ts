import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SERVICES, type ServiceName } from '@vaults/shared';
import { memoryMb } from './probes';
import { pollUntil } from './stats';
import { currentTree, treeEnv, type Tree } from '../ab/tree';

// The worker services as separate processes, started the way scripts/start.ts starts them
// (node itself with tsx as a loader, so the pid we sample is the worker's own).

/** The worker services, from the one list (SERVICES in @vaults/shared). */
export const WORKERS: readonly ServiceName[] = SERVICES.map((s) => s.name);
export type WorkerName = ServiceName;

const root = join(__dirname, '..', '..');

// Every child still running when the bench exits (an error, a signal) is killed with it, so a
// failed run never leaves workers behind writing to its (deleted) queues.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * On a signal: every child still running, killed, and waited for. Workers that were still
 * starting belong to no system yet, so nothing else stops them before the session deletes its
 * keys, which they would otherwise write again (queue meta) until the process exits.
 */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  })));
}

export interface WorkerProcess {
  name: string;
  pid: number;
  port: number;
  child: ChildProcess;
  /** Resident memory once ready, before any load (MB). */
  readyRssMb: number;
}

/** `K=V` applies to every worker, `<worker>.K=V` (e.g. snapshot-worker.WORKER_CONCURRENCY) to one. */
export function envFor(name: string, env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (!k.includes('.')) out[k] = v;
  for (const [k, v] of Object.entries(env)) if (k.startsWith(`${name}.`)) out[k.slice(name.length + 1)] = v;
  return out;
}

/** A TCP port that was free a moment ago (the sidecar binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns a TypeScript entry point (relative to `cwd`, a tree's root) under node + tsx; its
 * output lines go to stderr, prefixed.
 */
export function spawnTs(entry: string, label: string, env: NodeJS.ProcessEnv, ipc = false, cwd = root): ChildProcess {
  return spawnNode(['--import', 'tsx', join(cwd, entry)], label, env, ipc, cwd);
}

function spawnNode(args: string[], label: string, env: NodeJS.ProcessEnv, ipc = false, cwd = root): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd,
    env,
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => process.stderr.write(`  [${label}] ${line}\n`));
  }
  return child;
}

/**
 * Starts the workers of `tree` (this checkout by default, or the baseline's) under tsx, or,
 * given `compiled` (name -> bundle, see compile.ts), as plain node on compiled JavaScript.
 */
export async function startWorkers(
  names: readonly string[], env: Record<string, string>, compiled?: Record<string, string>, tree: Tree = currentTree(),
  /** Node flags before a compiled bundle (--cpu-prof, which NODE_OPTIONS refuses). */
  nodeArgs: string[] = [],
): Promise<WorkerProcess[]> {
  const procs: WorkerProcess[] = [];
  for (const name of names) {
    const port = await freePort();
    const childEnv = {
      ...treeEnv(tree.root),
      LOG_LEVEL: 'warn',
      METRICS_HOST: '127.0.0.1',
      ...envFor(name, env),
      METRICS_PORT: String(port),
    };
    const entry = tree.entries[name];
    if (!entry) throw new Error(`the ${tree.label} tree (${tree.commit}) has no service ${name}`);
    const label = tree.label === 'current' ? name : `${tree.label} ${name}`;
    const child = compiled
      ? spawnNode([...nodeArgs, compiled[name]!], label, childEnv, false, tree.root)
      : spawnTs(entry, label, childEnv, false, tree.root);
    procs.push({ name, pid: child.pid!, port, child, readyRssMb: NaN });
  }
  try {
    await Promise.all(procs.map((p) => waitReady(p)));
  } catch (err) {
    await stopWorkers(procs);
    throw err;
  }
  for (const p of procs) p.readyRssMb = memoryMb(p.pid).current;
  return procs;
}

async function waitReady(p: WorkerProcess): Promise<void> {
  await pollUntil(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`${p.name} exited with code ${p.child.exitCode} during start-up`);
      try {
        return (await fetch(`http://127.0.0.1:${p.port}/readyz`)).ok;
      } catch {
        return false;
      }
    },
    60_000,
    `${p.name} /readyz`,
    100,
  );
}

/** SIGTERM each worker we started (by its pid) and wait for its clean exit. */
export async function stopWorkers(procs: WorkerProcess[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
          p.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          p.child.kill('SIGTERM');
        }),
    ),
  );
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The worker's Prometheus text, parsed (enough of the format for prom-client's output). */
export async function scrape(port: number): Promise<Sample[]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of a metric's samples whose labels include `match`. */
export function metricSum(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}
