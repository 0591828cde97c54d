import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SERVICES, serviceEntry, type ServiceName } from '@vaults/shared';

// The worker services as separate processes, the way production runs them: used by `pnpm start`
// and `pnpm demo`. Which services there are, and their ports, is the one list (SERVICES).

export const WORKERS = SERVICES;

export type WorkerName = ServiceName;

export const REPO_ROOT = join(__dirname, '..');

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * One worker process, each output line prefixed with its name. Node itself runs it (tsx as a
 * loader, not the tsx CLI wrapper), so signals and exit codes are the worker's own; and in a
 * process group of its own, so a terminal's Ctrl-C reaches only the parent, which stops each
 * child once.
 */
export function spawnWorker(name: string, env: NodeJS.ProcessEnv, print: (line: string) => void): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, serviceEntry(name))], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = `[${name}]`.padEnd(18);
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => print(`${prefix} ${line}`));
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { name, child, exited };
}
