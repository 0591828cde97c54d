import { spawn, type ChildProcess } from 'node:child_process';

// A noisy neighbour: N processes that each keep one core busy, started and stopped by the tool
// that measures (BENCH_NOISE, FAULTS_NOISE). A platform's pods share nodes and get throttled;
// the guarantees and the latency goals must hold when the machine is not ours alone.

/**
 * Each hog spins in slices of 50 ms and, between slices, checks that its parent is still the
 * one that started it: if the tool dies (even by SIGKILL, when no exit handler runs), the hog
 * is re-parented and ends itself within a slice. Plain JavaScript, so no loader is needed.
 */
const HOG = `const p = process.ppid; for (;;) { const t = Date.now(); while (Date.now() - t < 50) {} if (process.ppid !== p) process.exit(0); }`;

const live = new Set<ChildProcess>();
let hooked = false;

/** Kills every hog still running when this process exits, on an error or a signal. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

export interface Noise {
  /** Hog processes running (0 when the mode is off). */
  readonly count: number;
  readonly pids: number[];
  stop(): Promise<void>;
}

/** Starts `n` busy processes (none for n <= 0). */
export function startNoise(n: number): Noise {
  hookExit();
  const hogs: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const c = spawn(process.execPath, ['-e', HOG], { stdio: 'ignore' });
    live.add(c);
    c.once('exit', () => live.delete(c));
    hogs.push(c);
  }
  return {
    count: hogs.length,
    pids: hogs.map((c) => c.pid!),
    async stop() {
      await Promise.all(
        hogs.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}

/** The number of hogs an environment variable asks for (BENCH_NOISE=1, FAULTS_NOISE=2). */
export function noiseFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error(`${name} must be an integer from 0 to 64 (busy processes beside the run)`);
  return n;
}
