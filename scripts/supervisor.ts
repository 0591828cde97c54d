import { spawnWorker, type WorkerProcess } from '@vaults/testkit';

// What a platform does for its pods, for the four workers of `pnpm start`: a worker that exits
// while the supervisor is not stopping is started again after a back-off that doubles with each
// quick failure (1 s, 2 s, 4 s ... up to 60 s; back to 1 s once a run lasted a minute), and each
// restart is logged. A worker that fails on its very first start (a bad setting, a port taken)
// is not retried: that is a configuration error, and the whole start fails with its message.

export interface BackOff {
  baseMs: number;
  maxMs: number;
  /** A run at least this long resets the back-off. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackOff = { baseMs: 1000, maxMs: 60_000, stableMs: 60_000 };

export function restartDelayMs(quickFailures: number, b: BackOff = DEFAULT_BACKOFF): number {
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, quickFailures - 1));
}

export class Supervised {
  current: WorkerProcess;
  restarts = 0;
  private quickFailures = 0;
  private everReady = false;
  private startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Settles when the worker has stopped for good: its exit code (non-zero = the start failed). */
  readonly done: Promise<number>;
  private finish!: (code: number) => void;

  constructor(
    readonly name: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly say: (line: string) => void,
    private readonly print: (line: string) => void,
    private readonly onFatal: (name: string) => void,
    private readonly backOff: BackOff = DEFAULT_BACKOFF,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.current = this.spawn();
  }

  private spawn(): WorkerProcess {
    this.startedAt = Date.now();
    const w = spawnWorker(this.name, this.env, this.print);
    w.ready.then(
      ({ port }) => {
        this.everReady = true;
        this.say(`${this.name} ready (pid ${w.child.pid}, port ${port})`);
      },
      () => undefined,
    );
    void w.exited.then((e) => this.exited(w, e));
    return w;
  }

  private exited(w: WorkerProcess, e: { code: number | null; signal: NodeJS.Signals | null }): void {
    const how = e.signal ?? `code ${e.code}`;
    if (this.stopping) {
      this.say(`${this.name} (pid ${w.child.pid}) stopped (${how})`);
      return this.finish(e.code === 0 ? 0 : 1);
    }
    if (!this.everReady) {
      this.say(`${this.name} (pid ${w.child.pid}) failed to start (${how}); not restarting a worker that never started`);
      this.onFatal(this.name);
      return this.finish(1);
    }
    const ranMs = Date.now() - this.startedAt;
    this.quickFailures = ranMs >= this.backOff.stableMs ? 1 : this.quickFailures + 1;
    const delay = restartDelayMs(this.quickFailures, this.backOff);
    this.restarts++;
    this.say(`${this.name} (pid ${w.child.pid}) exited (${how}) after ${(ranMs / 1000).toFixed(1)} s; restart ${this.restarts} in ${(delay / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopping) return this.finish(0);
      this.current = this.spawn();
      this.say(`${this.name} restarted (pid ${this.current.child.pid}, restart ${this.restarts})`);
    }, delay);
  }

  /** SIGTERM to the running worker (it finishes its active jobs); no more restarts. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): void {
    const first = !this.stopping;
    this.stopping = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      if (first) this.finish(0);
      return;
    }
    const c = this.current.child;
    if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  }
}
