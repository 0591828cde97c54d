import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { waitUntil } from '@vaults/testkit';

// `pnpm start` as a test drives it: a child process whose output lines are kept and can be
// awaited, the pids its supervisor reports, and a check that a pid is gone.

export const ROOT = join(__dirname, '..', '..');

export class Launch {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  /** `how`: through pnpm (as a user types it), under a shell, or the script itself. */
  constructor(how: 'pnpm' | 'sh' | 'node', env: NodeJS.ProcessEnv, entry = 'scripts/start.ts') {
    const [cmd, args] =
      how === 'pnpm' ? ['pnpm', ['start']] : how === 'sh' ? ['sh', ['-c', `node --import tsx ${entry}; exit $?`]] : [process.execPath, ['--import', 'tsx', entry]];
    this.proc = spawn(cmd as string, args as string[], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [this.proc.stdout!, this.proc.stderr!]) {
      createInterface({ input: s }).on('line', (line) => {
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => {
          const m = line.match(w.re);
          if (m) w.resolve(m);
          return !m;
        });
      });
    }
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The first line (already seen or still to come) that matches; fails after `timeoutMs`. */
  line(re: RegExp, timeoutMs = 120_000): Promise<RegExpMatchArray> {
    for (const l of this.lines) {
      const m = l.match(re);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.re !== re);
        reject(new Error(`no line matching ${re} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-10).join('\n')}`));
      }, timeoutMs);
      this.waiters.push({ re, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  /** Waits for every worker's "ready (pid N, port P)" line; returns pid per service. */
  async ready(services: readonly string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const s of services) out[s] = Number((await this.line(new RegExp(`\\[start\\] ${s} ready \\(pid (\\d+)`)))[1]);
    return out;
  }

  async supervisorPid(): Promise<number> {
    return Number((await this.line(/\[start\] supervisor pid (\d+)/))[1]);
  }

  output(): string {
    return this.lines.join('\n');
  }
}

/** Running: the pid exists and is not a zombie waiting for its (new) parent to reap it. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Processes that are not our children cannot be awaited: poll until each pid is gone. */
export async function gone(pids: number[], timeoutMs = 40_000): Promise<void> {
  await waitUntil(() => pids.every((p) => !alive(p)), timeoutMs, `pids ${pids.join(', ')} to exit`);
}
