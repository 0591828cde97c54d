import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sleep, waitFor } from './util';

export const ROOT = join(__dirname, '..', '..', '..');
import { SERVICES as SERVICE_LIST, serviceEntry, type ServiceName } from '@vaults/shared';

/** The worker services, from the one list (SERVICES in @vaults/shared). */
export const SERVICES: readonly ServiceName[] = SERVICE_LIST.map((s) => s.name);
export type { ServiceName };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** Every worker process the suite started and that has not exited (for an interrupted run). */
export const LIVE_PROCESSES = new Set<WorkerProcess>();

/** One real worker service, as its own OS process (node + tsx, as `pnpm start` runs it). */
export class WorkerProcess {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();
  peakRssKb = 0;
  private sampler: NodeJS.Timeout | undefined;
  private exit: Exit | undefined;

  /** The sidecar's port: METRICS_PORT=0 (other suites run beside this one: a port picked here
   * could be taken before the worker binds it), learned from the worker's message (IPC) once its
   * sidecar listens. */
  private boundPort: number | undefined;

  constructor(readonly service: ServiceName, env: Record<string, string>) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, serviceEntry(service))], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' },
      // The IPC channel also ends the worker if the suite dies without cleaning up (runMain).
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.proc.on('message', (m: { listening?: string; port?: number }) => {
      if (m?.listening === service && typeof m.port === 'number') this.boundPort = m.port;
    });
    for (const s of [this.proc.stdout!, this.proc.stderr!]) {
      createInterface({ input: s }).on('line', (l) => {
        if (this.lines.length < 20_000) this.lines.push(l);
      });
    }
    LIVE_PROCESSES.add(this);
    this.exited = new Promise((resolve) =>
      this.proc.once('exit', (code, signal) => {
        LIVE_PROCESSES.delete(this);
        this.exit = { code, signal, at: Date.now() };
        this.stopSampling();
        resolve(this.exit);
      }),
    );
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error(`${this.service} (pid ${this.pid}) has not said on which port it listens yet`);
    return this.boundPort;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async get(path: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
    const res = await fetch(this.url(path), { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  }

  /** Ready: /readyz answers 200 (Redis, database and worker loop all up). */
  async ready(timeoutMs = 90_000): Promise<void> {
    await waitFor(async () => {
      if (!this.alive) throw new Error(`${this.service} exited during start-up:\n${this.lines.slice(-20).join('\n')}`);
      return this.boundPort !== undefined && (await this.get('/readyz')).status === 200;
    }, timeoutMs, `${this.service} (pid ${this.pid}) to be ready`, 150).catch((err) => {
      if (!this.alive) throw new Error(`${this.service} exited during start-up:\n${this.lines.slice(-20).join('\n')}`);
      throw err;
    });
  }

  /** Samples VmRSS from /proc every `everyMs` and keeps the peak. */
  sampleRss(everyMs = 100): void {
    this.sampler = setInterval(() => {
      const kb = rssKb(this.pid);
      if (kb > this.peakRssKb) this.peakRssKb = kb;
    }, everyMs);
  }

  private stopSampling(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = undefined;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.proc.kill(signal);
  }

  /** SIGTERM, then wait for the exit (SIGKILL after `graceMs`, as Kubernetes would). */
  async terminate(graceMs = 30_000): Promise<Exit & { tookMs: number }> {
    const t0 = Date.now();
    if (!this.alive) return { ...(await this.exited), tookMs: 0 };
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    const e = await this.exited;
    clearTimeout(timer);
    return { ...e, tookMs: e.at - t0 };
  }
}

export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The environment a scenario gives its workers. */
export interface FleetEnv {
  DATABASE_URL: string;
  REDIS_URL: string;
  QUEUE_PREFIX: string;
  [k: string]: string;
}

export const FAULT_DEFAULTS: Record<string, string> = {
  LOG_LEVEL: 'warn',
  // Short, so that a killed worker's jobs come back within ~10 s; not shorter, because on a busy
  // machine (FAULTS_NOISE, other suites beside this one) the suite's fsync-always Redis answers in
  // up to 0.4 s, and a live worker must keep its locks (docs/FAULTS.md, "Noisy mode").
  LOCK_DURATION_MS: '5000',
  RETRY_BASE_DELAY_MS: '100',
  RETRY_MAX_DELAY_MS: '2000',
  SHUTDOWN_TIMEOUT_MS: '10000',
  DB_POOL_SIZE: '8',
};

/** The worker processes of one scenario: any number of replicas per service. */
export class Fleet {
  readonly all: WorkerProcess[] = [];

  constructor(readonly env: FleetEnv) {}

  async spawn(service: ServiceName, extraEnv: Record<string, string> = {}): Promise<WorkerProcess> {
    const w = new WorkerProcess(service, { ...FAULT_DEFAULTS, ...this.env, ...extraEnv });
    this.all.push(w);
    return w;
  }

  /** Start the given services (each `replicas` times) and wait until every one is ready. */
  async start(services: readonly ServiceName[] = SERVICES, replicas = 1): Promise<WorkerProcess[]> {
    const started: WorkerProcess[] = [];
    for (let r = 0; r < replicas; r++) for (const s of services) started.push(await this.spawn(s));
    await Promise.all(started.map((w) => w.ready()));
    return started;
  }

  live(service?: ServiceName): WorkerProcess[] {
    return this.all.filter((w) => w.alive && (!service || w.service === service));
  }

  /** Stop every live process cleanly (the end of a scenario). */
  async stop(): Promise<void> {
    await Promise.all(this.live().map((w) => w.terminate(15_000)));
  }

  /** Last log lines of every process, for a failure report. */
  tail(n = 5): string {
    return this.all
      .filter((w) => w.lines.length)
      .map((w) => `  [${w.service} pid ${w.pid}]\n${w.lines.slice(-n).map((l) => `    ${l.slice(0, 400)}`).join('\n')}`)
      .join('\n');
  }
}

export { sleep };
