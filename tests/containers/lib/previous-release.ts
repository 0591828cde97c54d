import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../deploy/support/repo';
import { CACHE } from './podman';
import { run } from './sh';
import type { Release } from './images';

// The release before this one, for the upgrade-in-place check: by default the parent of the
// newest commit that changed prisma/migrations, so that upgrading from it applies at least one
// migration while its workers run (CONTAINERS_PREVIOUS_RELEASE=<git ref> picks another). Its tree
// comes from `git archive` (the repository is not touched), cached per commit under CACHE.

export async function previousReleaseRef(): Promise<string> {
  if (process.env.CONTAINERS_PREVIOUS_RELEASE) return process.env.CONTAINERS_PREVIOUS_RELEASE;
  const last = (await run('git', ['-C', ROOT, 'log', '-1', '--format=%H', '--', 'prisma/migrations'])).stdout.trim();
  if (!last) throw new Error('no commit changed prisma/migrations: set CONTAINERS_PREVIOUS_RELEASE');
  return `${last}^`;
}

export async function previousRelease(): Promise<Release & { commit: string }> {
  const ref = await previousReleaseRef();
  const commit = (await run('git', ['-C', ROOT, 'rev-parse', '--verify', `${ref}^{commit}`])).stdout.trim();
  const root = join(CACHE, `release-${commit.slice(0, 12)}`);
  if (!existsSync(root)) {
    const part = `${root}.part`;
    rmSync(part, { recursive: true, force: true });
    mkdirSync(part, { recursive: true });
    await run('sh', ['-c', `git -C "${ROOT}" archive --format=tar ${commit} | tar -x -C "${part}"`]);
    renameSync(part, root);
  }
  return { root, tag: `prev-${commit.slice(0, 12)}`, commit };
}
