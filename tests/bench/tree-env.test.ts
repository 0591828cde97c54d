import { treeEnv } from '../../bench/ab/tree';

// A baseline worker must resolve the baseline worktree's packages, not this checkout's: the
// NODE_PATH that pnpm's bin shims set is moved to the baseline's root.

describe('treeEnv', () => {
  const current = '/work/repo';
  const env = { NODE_PATH: '/work/repo/node_modules/.pnpm/tsx@4/node_modules:/work/repo/node_modules/.pnpm/node_modules:/opt/global', HOME: '/root' };

  it('moves NODE_PATH entries under this checkout to the other tree, leaving the rest', () => {
    expect(treeEnv('/tmp/bench-baseline-x', env, current)).toEqual({
      NODE_PATH: '/tmp/bench-baseline-x/node_modules/.pnpm/tsx@4/node_modules:/tmp/bench-baseline-x/node_modules/.pnpm/node_modules:/opt/global',
      HOME: '/root',
    });
  });

  it('does not move a sibling directory that merely shares the prefix', () => {
    expect(treeEnv('/tmp/b', { NODE_PATH: '/work/repo-other/node_modules' }, current).NODE_PATH).toBe('/work/repo-other/node_modules');
  });

  it('leaves the current tree, and an environment without NODE_PATH, as they are (a copy)', () => {
    const same = treeEnv(current, env, current);
    expect(same).toEqual(env);
    expect(same).not.toBe(env);
    expect(treeEnv('/tmp/b', { HOME: '/root' }, current)).toEqual({ HOME: '/root' });
  });
});
