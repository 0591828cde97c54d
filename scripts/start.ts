// pnpm start: apply migrations, then run the four workers as four processes (as in production),
// in the foreground, each line prefixed with its service. Ctrl-C / SIGTERM stops all four
// cleanly; if one dies, the others are stopped and the exit code says so.
// SERVICES=trade-worker,snapshot-worker runs a subset.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { migrate } from './migrate';

export const WORKERS = ['vault-worker', 'trade-worker', 'follower-worker', 'snapshot-worker'] as const;

const root = join(__dirname, '..');

function startWorker(name: string): ChildProcess {
  // node itself (tsx as a loader, not the tsx CLI wrapper) so signals and exit codes are the worker's own.
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'services', name, 'src', 'main.ts')], {
    cwd: root,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches only us, and we stop each child once.
    detached: true,
  });
  const prefix = `[${name}]`.padEnd(18);
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix} ${line}\n`));
  }
  return child;
}

async function main(): Promise<void> {
  await migrate();
  const names = (process.env.SERVICES?.split(',').map((s) => s.trim()).filter(Boolean) ?? [...WORKERS]);
  for (const n of names) if (!(WORKERS as readonly string[]).includes(n)) throw new Error(`unknown service ${n} (have ${WORKERS.join(', ')})`);
  const children = new Map(names.map((n) => [n, startWorker(n)]));
  let stopping = false;
  let exitCode = 0;

  const stopAll = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const c of children.values()) if (c.exitCode === null) c.kill(signal);
  };
  process.on('SIGINT', () => stopAll('SIGTERM'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));

  await Promise.all(
    [...children].map(
      ([name, child]) =>
        new Promise<void>((resolve) =>
          child.on('exit', (code, signal) => {
            if (!stopping || (code !== 0 && code !== null)) {
              process.stdout.write(`[start] ${name} exited (${signal ?? code})${stopping ? '' : '; stopping the others'}\n`);
              if (code !== 0) exitCode = 1;
              stopAll('SIGTERM');
            }
            resolve();
          }),
        ),
    ),
  );
  process.stdout.write(`[start] all workers stopped\n`);
  process.exit(exitCode);
}

main().catch((err) => {
  console.error(`[start] ${(err as Error).message}`);
  process.exit(1);
});
