import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { serviceEntry } from '@vaults/shared';
import { join } from 'node:path';

// BENCH_COMPILED=1: run the workers as production does (plain node on compiled JavaScript, see
// docker/Dockerfile) instead of under tsx, whose TypeScript loader costs ~45 MB of RSS per
// process. Each service is bundled with esbuild (tsx's own dependency): the workspace's code
// inlined, third-party packages left as requires/imports, resolved at run time through a
// node_modules link to pnpm's hoisted store (Prisma's runtime uses import(), which ignores NODE_PATH).

const root = join(__dirname, '..');
export const BUILD_DIR = join(root, 'bench-results', '.build');

/**
 * `from`: another checkout to bundle the services of (a before/after comparison, see
 * worker-cpu.ts); its bundles are named `<name>-<tag>.js`.
 */
export async function compileWorkers(names: readonly string[], from?: { root: string; tag: string }): Promise<Record<string, string>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  mkdirSync(BUILD_DIR, { recursive: true });
  const link = join(BUILD_DIR, 'node_modules');
  if (!existsSync(link)) symlinkSync(join(root, 'node_modules', '.pnpm', 'node_modules'), link, 'dir');
  const out: Record<string, string> = {};
  for (const name of names) {
    const outfile = join(BUILD_DIR, from ? `${name}-${from.tag}.js` : `${name}.js`);
    await esbuild.build({
      entryPoints: [join(from?.root ?? root, serviceEntry(name))],
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
