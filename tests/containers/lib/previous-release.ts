import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../deploy/support/repo';
import { CACHE } from './podman';
import { run } from './sh';
import type { Release } from './images';

// The release before this one, for the upgrade-in-place check: by default the parent of the
// newest commit that changed prisma/migrations, so that upgrading from it applies at least one
// migration while its workers run; when that tree's migrate image cannot be built here (its
// Dockerfile required Prisma's engine, which cannot be downloaded on this machine), the parent of
// HEAD. CONTAINERS_PREVIOUS_RELEASE=<git ref> picks another. Its tree comes from `git archive`
// (the repository is not touched), cached per commit under CACHE.

const git = async (...args: string[]) => (await run('git', ['-C', ROOT, ...args], { allowFail: true })).stdout.trim();

/** Whether a commit's migrate image builds without Prisma's engine (its Dockerfile allows the SQL path). */
async function buildsHere(ref: string): Promise<boolean> {
  return /ALLOW_SQL_MIGRATIONS|the image will apply the migration SQL/.test(await git('show', `${ref}:docker/Dockerfile`));
}

export async function previousReleaseRef(): Promise<{ ref: string; why: string }> {
  if (process.env.CONTAINERS_PREVIOUS_RELEASE) return { ref: process.env.CONTAINERS_PREVIOUS_RELEASE, why: 'CONTAINERS_PREVIOUS_RELEASE' };
  const last = await git('log', '-1', '--format=%H', '--', 'prisma/migrations');
  if (last && (await buildsHere(`${last}^`))) return { ref: `${last}^`, why: 'the parent of the newest migration' };
  return { ref: 'HEAD^', why: "the parent of HEAD (the parent of the newest migration cannot build its migrate image here)" };
}

export async function previousRelease(): Promise<Release & { commit: string; why: string }> {
  const { ref, why } = await previousReleaseRef();
  const commit = await git('rev-parse', '--verify', `${ref}^{commit}`);
  if (!commit) throw new Error(`no commit ${ref}`);
  const root = join(CACHE, `release-${commit.slice(0, 12)}`);
  if (!existsSync(root)) {
    const part = `${root}.part`;
    rmSync(part, { recursive: true, force: true });
    mkdirSync(part, { recursive: true });
    await run('sh', ['-c', `git -C "${ROOT}" archive --format=tar ${commit} | tar -x -C "${part}"`]);
    renameSync(part, root);
  }
  return { root, tag: `prev-${commit.slice(0, 12)}`, commit, why };
}
