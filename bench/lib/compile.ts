import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { currentTree, type Tree } from '../ab/tree';

// BENCH_COMPILED=1: run the workers as production does (plain node on compiled JavaScript, see
// docker/Dockerfile) instead of under tsx, whose TypeScript loader costs ~45 MB of RSS per
// process. Each service is bundled with esbuild (a root devDependency, the version tsx uses): the workspace's code
// inlined, third-party packages left as requires/imports, resolved at run time through a
// node_modules link to pnpm's hoisted store (Prisma's runtime uses import(), which ignores NODE_PATH).
// A tree's bundles go into its own bench-results/.build (the baseline's: inside its temporary
// worktree), linked to its own store, so each side runs its own code and packages.

/** The bundles of `tree`'s services (this checkout by default). */
export async function compileWorkers(names: readonly string[], tree: Tree = currentTree()): Promise<Record<string, string>> {
  const esbuild = await import('esbuild');
  const buildDir = join(tree.root, 'bench-results', '.build');
  mkdirSync(buildDir, { recursive: true });
  const link = join(buildDir, 'node_modules');
  if (!existsSync(link)) symlinkSync(join(tree.root, 'node_modules', '.pnpm', 'node_modules'), link, 'dir');
  const out: Record<string, string> = {};
  for (const name of names) {
    const outfile = join(buildDir, `${name}.js`);
    const entry = tree.entries[name];
    if (!entry) throw new Error(`the ${tree.label} tree (${tree.commit}) has no service ${name}`);
    await esbuild.build({
      entryPoints: [join(tree.root, entry)],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      logLevel: 'warning',
      plugins: [
        {
          name: 'third-party-external',
          setup(build) {
            build.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@vaults/') ? undefined : { path: a.path, external: true }));
          },
        },
      ],
    });
    out[name] = outfile;
  }
  return out;
}

/** The event-loop probe (loop-probe.ts) as JavaScript for `node --require`, in this checkout's build folder. */
export async function compileProbe(): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const outfile = join(currentTree().root, 'bench-results', '.build', 'loop-probe.js');
  await esbuild.build({ entryPoints: [join(__dirname, '..', 'worker', 'loop-probe.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'warning' });
  return outfile;
}
