import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { SERVICES, serviceEntry } from '@vaults/shared';

// A source tree the bench runs workers from: this checkout (the current code), or a baseline
// commit checked out into a temporary git worktree with its own install, so one run measures
// before and after on the same machine at the same time (BENCH_BASELINE, see baseline-ref.ts).
// The baseline worktree lives under the OS temp dir and is removed at the end, on failure and
// on signals: nothing of it stays in the repository (git's worktree record is removed with it).

export const CURRENT_ROOT = join(__dirname, '..', '..');

export interface Tree {
  label: 'current' | 'baseline';
  root: string;
  /** The commit checked out (`+uncommitted` when the current tree has local changes). */
  commit: string;
  /** Its services, name -> entry point relative to root (the tree's own SERVICES list). */
  entries: Record<string, string>;
  remove(): void;
}

/** This checkout. */
export function currentTree(): Tree {
  const head = git(CURRENT_ROOT, ['rev-parse', '--short', 'HEAD']) ?? '?';
  const dirty = (git(CURRENT_ROOT, ['status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  return {
    label: 'current', root: CURRENT_ROOT, commit: dirty ? `${head}+uncommitted` : head,
    entries: Object.fromEntries(SERVICES.map((s) => [s.name, serviceEntry(s.name)])),
    remove: () => undefined,
  };
}

// A worktree still checked out when the process exits (an error, a signal) is removed with it.
const live = new Set<Tree>();
process.on('exit', () => {
  for (const t of live) t.remove();
});

/**
 * `git worktree add --detach` of `ref` into a temporary directory, then `pnpm install
 * --frozen-lockfile` (offline from the local store first; online if that fails). The install's
 * postinstall generates the tree's Prisma client.
 */
export function checkoutTree(ref: string, log: (m: string) => void): Tree {
  const commit = git(CURRENT_ROOT, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (!commit) throw new Error(`BENCH_BASELINE: ${ref} is not a commit of this repository`);
  const root = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
  rmSync(root, { recursive: true }); // git wants to create the directory itself
  let removed = false;
  const tree: Tree = {
    label: 'baseline', root, commit: commit.slice(0, 7), entries: {},
    remove: () => {
      if (removed) return;
      removed = true;
      live.delete(tree);
      spawnSync('git', ['worktree', 'remove', '--force', root], { cwd: CURRENT_ROOT, stdio: 'ignore' });
      if (existsSync(root)) rmSync(root, { recursive: true, force: true });
      spawnSync('git', ['worktree', 'prune'], { cwd: CURRENT_ROOT, stdio: 'ignore' });
    },
  };
  live.add(tree);
  try {
    log(`baseline ${ref} (${tree.commit}): git worktree in ${root}`);
    run('git', ['worktree', 'add', '--detach', root, commit], CURRENT_ROOT);
    log('baseline: pnpm install --frozen-lockfile');
    const offline = spawnSync('pnpm', ['install', '--frozen-lockfile', '--offline'], { cwd: root, env: installEnv(), encoding: 'utf8' });
    if (offline.status !== 0) {
      log('baseline: the offline install failed (a package missing from the store); installing online');
      run('pnpm', ['install', '--frozen-lockfile'], root, installEnv());
    }
    tree.entries = listServices(root);
    return tree;
  } catch (err) {
    tree.remove();
    throw err;
  }
}

/** The tree's own service list, asked of its @vaults/shared (names and entries may differ between commits). */
function listServices(root: string): Record<string, string> {
  const code = "const s = require('@vaults/shared'); console.log(JSON.stringify(s.SERVICES.map((x) => [x.name, s.serviceEntry(x.name)])))";
  return Object.fromEntries(evalIn<[string, string][]>(root, code));
}

/** Runs CommonJS `code` with node + tsx in a tree's root (its packages resolve); its last stdout line, parsed as JSON. */
export function evalIn<T>(root: string, code: string, env: Record<string, string> = {}): T {
  const out = run(process.execPath, ['--import', 'tsx', '-e', code], root, { ...treeEnv(root), ...env });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

/**
 * The environment for a process of `root`'s tree. pnpm's bin shims set NODE_PATH to this
 * checkout's node_modules/.pnpm; a baseline process must resolve its own packages, so every
 * NODE_PATH entry under this checkout is moved to the same path under `root`.
 */
export function treeEnv(root: string, env: NodeJS.ProcessEnv = process.env, current = CURRENT_ROOT): NodeJS.ProcessEnv {
  if (root === current || !env.NODE_PATH) return { ...env };
  const moved = env.NODE_PATH.split(delimiter).map((p) => (p === current || p.startsWith(current + '/') ? root + p.slice(current.length) : p));
  return { ...env, NODE_PATH: moved.join(delimiter) };
}

/** Without the outer `pnpm bench`'s npm_* settings, which would otherwise steer the inner install. */
function installEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_PATH'));
}

function git(cwd: string, args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Runs a command to completion; its stdout, or an error with the tail of its output. */
export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, input?: string): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) {
    const tail = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed (${r.status ?? r.signal}) in ${cwd}:\n${tail}`);
  }
  return r.stdout;
}
