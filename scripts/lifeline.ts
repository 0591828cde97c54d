import { readFileSync, readlinkSync, realpathSync } from 'node:fs';

// `pnpm start` runs as pnpm -> sh -c -> node scripts/start.ts -> four workers. A SIGKILL of pnpm
// (or of the shell) runs no handler anywhere, and the shell keeps waiting for its child, so the
// supervisor watches every process between itself and the package manager that launched it, and
// stops when one of them is gone. The workers watch the supervisor through their IPC channel
// (see runMain in packages/shared/src/runner.ts).

/** The parent pid of `pid` from /proc (Linux), or undefined if the process is gone. */
export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so cut at the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function isLauncher(pid: number, execPath: string): boolean {
  try {
    if (realpathSync(readlinkSync(`/proc/${pid}/exe`)) === execPath) return true; // pnpm's own binary
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => a && realpathSync(a) === execPath); // node npm-cli.js
  } catch {
    return false;
  }
}

/**
 * The processes whose death ends this one: the parent, and, when a package manager ran this
 * script (npm_execpath set), every ancestor up to and including the package manager itself.
 */
export function launcherChain(env: NodeJS.ProcessEnv = process.env): number[] {
  const chain = [process.ppid];
  const execPath = env.npm_execpath ? safeRealpath(env.npm_execpath) : undefined;
  if (!execPath) return chain;
  for (let pid = process.ppid, depth = 0; depth < 4; depth++) {
    if (isLauncher(pid, execPath)) return chain;
    const up = parentOf(pid);
    if (!up || up <= 1) break;
    chain.push(up);
    pid = up;
  }
  return [process.ppid]; // no package manager found above: watch the parent alone
}

function safeRealpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Calls `onGone` once when the parent or another process of the launcher chain has exited (it
 * is then re-parented, or its /proc entry is gone). Where /proc is missing, the parent alone is
 * watched through process.ppid.
 */
export function watchLauncher(onGone: (why: string) => void, everyMs = 250): () => void {
  const chain = launcherChain();
  const parents = chain.map((pid) => parentOf(pid));
  const timer = setInterval(() => {
    const lost = process.ppid !== chain[0] ? chain[0] : chain.find((pid, i) => parents[i] !== undefined && parentOf(pid) !== parents[i]);
    if (lost === undefined) return;
    clearInterval(timer);
    onGone(`process ${lost} that launched it is gone`);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
