import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ROOT, repositorySources } from './boundaries';

// Names, strings and comments say what a thing is, not which tracker issue asked for it: an
// issue number means nothing to a reader of the code and goes stale with the tracker.

const ISSUE_NUMBER = /issues? ?#?\d+/i;

/** The lines of a source text that name a tracker issue by number, as `line: text`. */
export function issueMentions(text: string): string[] {
  return text.split('\n').flatMap((l, i) => (ISSUE_NUMBER.test(l) ? [`${i + 1}: ${l.trim()}`] : []));
}

describe('issue numbers in the sources', () => {
  it('finds them in names, strings and comments', () => {
    expect(issueMentions('const issue13Targets = 1;\n// ok\nlog("Targets (issue 21)");\n// see Issue #4')).toEqual([
      '1: const issue13Targets = 1;',
      '3: log("Targets (issue 21)");',
      '4: // see Issue #4',
    ]);
    expect(issueMentions('// tradeIssue7Targets\n// issues are tracked elsewhere')).toEqual(['1: // tradeIssue7Targets']);
  });

  it('are nowhere in the repository (say what the code does instead)', () => {
    // This file names the pattern it looks for; every other file is checked.
    const found = repositorySources()
      .filter((f) => f !== __filename)
      .flatMap((f) => issueMentions(readFileSync(f, 'utf8')).map((m) => `${relative(ROOT, f)}:${m}`));
    expect(found).toEqual([]);
  });
});
