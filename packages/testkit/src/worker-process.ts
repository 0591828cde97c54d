import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SERVICES, serviceEntry, type ServiceName } from '@vaults/shared';

// The worker services as separate processes, the way production runs them: used by `pnpm start`,
// `pnpm demo` and the dev chain's stack (@vaults/devchain). Which services there are, and their ports, is the one list (SERVICES).

export const WORKERS = SERVICES;

export type WorkerName = ServiceName;

export const REPO_ROOT = join(__dirname, '..', '..', '..');

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the sidecar's bound port when the worker says it is ready (IPC). */
  ready: Promise<{ port: number }>;
}

/**
 * One worker process, each output line prefixed with its name. Node itself runs it (tsx as a
 * loader, not the tsx CLI wrapper), so signals and exit codes are the worker's own; and in a
 * process group of its own, so a terminal's Ctrl-C reaches only the parent, which stops each
 * child once. An IPC channel ties it to this process: the worker reports when it is ready, and
 * stops by itself when the channel closes, i.e. when this process dies, even by SIGKILL.
 */
export function spawnWorker(name: string, env: NodeJS.ProcessEnv, print: (line: string) => void, entry = serviceEntry(name)): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  const prefix = `[${name}]`.padEnd(18);
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => print(`${prefix} ${line}`));
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<{ port: number }>((resolve, reject) => {
    child.on('message', (m: { ready?: string; port?: number }) => {
      if (m?.ready === name && typeof m.port === 'number') resolve({ port: m.port });
    });
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? code}) before it was ready`)));
  });
  ready.catch(() => undefined); // a caller that does not wait for readiness must not see an unhandled rejection
  return { name, child, exited, ready };
}
