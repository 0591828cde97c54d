import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

// Every relative link of the README and docs/ points at a file that exists: files move (bench/,
// packages/), and a front door with dead links is worse than none. So does every repository path
// the docs name in backticks (`packages/.../x.ts`), but in docs/BENCHMARK.md and the CHANGELOG:
// those are histories, and name files as they were when measured.

const ROOT = join(__dirname, '..', '..');

/** The relative link targets of a markdown text (code blocks left out), without their #anchor. */
export function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#'))
    .map((t) => t.split('#')[0]!);
}

/** Repository paths named in backticks: a top-level folder of the repository, then a file with an extension. */
export function namedPaths(markdown: string, topLevel: readonly string[]): string[] {
  return [...markdown.matchAll(/`([a-z0-9_.-]+\/[A-Za-z0-9_./-]*\.[a-z]+)`/g)].map((m) => m[1]!).filter((p) => topLevel.includes(p.split('/')[0]!));
}

describe('links in the README and docs/', () => {
  it('reads links, leaving out URLs, anchors and code blocks', () => {
    expect(relativeLinks('[a](docs/A.md#x) [b](https://x.y) [c](#here)\n```\n[d](nowhere.md)\n```\n[e](../e.ts)')).toEqual(['docs/A.md', '../e.ts']);
  });

  it('point at files that exist', () => {
    const docs = ['README.md', 'CHANGELOG.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
    const dead = docs.flatMap((doc) =>
      relativeLinks(readFileSync(join(ROOT, doc), 'utf8'))
        .filter((target) => !existsSync(join(ROOT, dirname(doc), target)))
        .map((target) => `${doc}: ${target} (${relative(ROOT, join(ROOT, dirname(doc), target))} does not exist)`),
    );
    expect(dead).toEqual([]);
  });

  it('names, in backticks, repository files that exist', () => {
    // The repository's own top-level folders (tracked files), not what a run generated beside them
    // (artifacts/, bench-results/: named in the docs as outputs, absent from a fresh clone).
    const topLevel = [...new Set(execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.split('/')[0]!))];
    expect(namedPaths('`packages/a/b.ts` `docs/X.md` `bench-results/<t>.json` `x.ts` `nowhere/a.ts`', ['packages', 'docs'])).toEqual(['packages/a/b.ts', 'docs/X.md']);
    const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md') && f !== 'BENCHMARK.md').map((f) => join('docs', f))];
    const missing = docs.flatMap((doc) =>
      namedPaths(readFileSync(join(ROOT, doc), 'utf8'), topLevel)
        .filter((path) => !existsSync(join(ROOT, path)))
        .map((path) => `${doc}: ${path} does not exist`),
    );
    expect(missing).toEqual([]);
  });
});
