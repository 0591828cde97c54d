import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './harness';

// A Redis Cluster of our own on this machine: N masters with R replicas each, every node a
// redis-server with --cluster-enabled yes on a free port whose cluster-bus port (+10000) is free
// too, joined with `redis-cli --cluster create`. Never the machine's shared Redis (6379).

export interface ClusterNode {
  port: number;
  proc: ChildProcess;
}

export interface LocalClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a master may be silent before its replica takes over. */
  nodeTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
// A run that dies (an error, a signal) takes its nodes with it.
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export class LocalCluster {
  private constructor(
    readonly nodes: ClusterNode[],
    readonly dir: string,
  ) {}

  static async start(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
    const masters = opts.masters ?? 3;
    const replicas = opts.replicasPerMaster ?? 1;
    const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
    const ports = await freeClusterPorts(masters * (1 + replicas));
    const nodes = ports.map((port) => ({ port, proc: startNode(port, dir, opts.nodeTimeoutMs ?? 2000) }));
    const cluster = new LocalCluster(nodes, dir);
    try {
      for (const n of nodes) await waitUntil(() => cli(n.port, 'ping') === 'PONG', 15_000, `redis-server :${n.port}`);
      const create = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
        { encoding: 'utf8' },
      );
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      await cluster.waitHealthy(30_000);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** The seed-list URL the services take (REDIS_URL). */
  url(): string {
    return `redis+cluster://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  /** Until every running node reports cluster_state:ok and each master has its replicas again. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    await waitUntil(
      () => this.running().every((n) => /cluster_state:ok/.test(cli(n.port, 'cluster', 'info'))),
      timeoutMs,
      'cluster_state:ok on every node',
    );
  }

  running(): ClusterNode[] {
    return this.nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);
  }

  /** The master ports serving each slot range, as a running node sees them. */
  masters(): { port: number; slots: [number, number][] }[] {
    const from = this.running()[0];
    if (!from) return [];
    const out = new Map<number, [number, number][]>();
    for (const line of cli(from.port, 'cluster', 'nodes').split('\n')) {
      const f = line.trim().split(' ');
      if (!f[2]?.includes('master') || f[2].includes('fail')) continue;
      const port = Number(/:(\d+)@/.exec(f[1] ?? '')?.[1]);
      const ranges = f.slice(8).filter((r) => /^\d+(-\d+)?$/.test(r)).map((r) => {
        const [a, b] = r.split('-').map(Number);
        return [a!, b ?? a!] as [number, number];
      });
      if (ranges.length) out.set(port, ranges);
    }
    return [...out].map(([port, slots]) => ({ port, slots }));
  }

  /** The port of the master that serves a key (by its hash slot, asked of the cluster). */
  masterOfKey(key: string): number {
    const slot = Number(cli(this.running()[0]!.port, 'cluster', 'keyslot', key));
    const m = this.masters().find((x) => x.slots.some(([a, b]) => slot >= a && slot <= b));
    if (!m) throw new Error(`no master serves slot ${slot}`);
    return m.port;
  }

  /** The process id of the node on a port (for CPU metering). */
  pidOf(port: number): number {
    return this.nodes.find((n) => n.port === port)!.proc.pid!;
  }

  /** Keys matching a glob pattern on one node (SCAN, as redis-cli --scan does). */
  countKeys(port: number, pattern: string): number {
    return cli(port, '--scan', '--pattern', pattern).split('\n').filter(Boolean).length;
  }

  /** A crash: SIGKILL to one node we started (its replica should take over). */
  async kill(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (!node || node.proc.exitCode !== null || node.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => node.proc.once('exit', () => r()));
    node.proc.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n.port)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A standalone redis-server of our own with the cluster nodes' settings (a like-for-like baseline). */
export class LocalRedis {
  private constructor(readonly port: number, readonly proc: ChildProcess, readonly dir: string) {}

  static async start(): Promise<LocalRedis> {
    const dir = mkdtempSync(join(tmpdir(), 'redis-standalone-'));
    const [port] = await freeClusterPorts(1);
    const r = new LocalRedis(port!, startNode(port!, dir, null), dir);
    await waitUntil(() => cli(r.port, 'ping') === 'PONG', 15_000, `redis-server :${r.port}`);
    return r;
  }

  url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
      this.proc.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** nodeTimeoutMs null: a standalone server. */
function startNode(port: number, dir: string, nodeTimeoutMs: number | null): ChildProcess {
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
    ...(nodeTimeoutMs === null ? [] : [
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
      '--cluster-node-timeout', String(nodeTimeoutMs),
    ]),
    '--appendonly', 'no', '--save', '', '--maxmemory-policy', 'noeviction',
    '--daemonize', 'no', '--logfile', join(dir, `redis-${port}.log`),
  ];
  const proc = spawn('redis-server', args, { stdio: 'ignore' });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return proc;
}

export function cli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });
  return (r.stdout ?? '').trim();
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * n ports that are free, each with its bus port (+10000) free, from a random start (other runs
 * pick too), all below Linux's ephemeral range (32768+) so no outgoing connection takes one.
 */
async function freeClusterPorts(n: number): Promise<number[]> {
  const out: number[] = [];
  let p = 11_000 + Math.floor(Math.random() * 11_000);
  while (out.length < n) {
    if (p + 10_000 > 32_767) p = 11_000;
    if ((await portFree(p)) && (await portFree(p + 10_000))) out.push(p);
    p++;
  }
  return out;
}
