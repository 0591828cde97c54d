import { readFileSync } from 'node:fs';
import { BASELINE_REF_FILE, baselineRef } from '../../bench/ab/baseline-env';
import { loadSettings } from '../../bench/lib/settings';

// BENCH_BASELINE: which commit `pnpm bench` compares against (bench/ab/baseline-ref by default).

describe('baselineRef', () => {
  const file = (text: string) => () => text;

  it('defaults to the first line of bench/ab/baseline-ref that is not a comment', () => {
    expect(baselineRef({}, file('# main before the cost work\n\n  295c1e2  \nabc\n'))).toBe('295c1e2');
  });

  it('an empty BENCH_BASELINE is the default too', () => {
    expect(baselineRef({ BENCH_BASELINE: '  ' }, file('295c1e2\n'))).toBe('295c1e2');
  });

  it('takes any git ref from the environment over the file', () => {
    expect(baselineRef({ BENCH_BASELINE: 'HEAD~3' }, file('295c1e2'))).toBe('HEAD~3');
    expect(baselineRef({ BENCH_BASELINE: 'origin/main' }, file('295c1e2'))).toBe('origin/main');
  });

  it.each(['none', 'NONE', 'off', '0'])('BENCH_BASELINE=%s skips the comparison (the file is not read)', (v) => {
    expect(baselineRef({ BENCH_BASELINE: v }, () => { throw new Error('read'); })).toBeUndefined();
  });

  it('refuses what git would take as an option or as two arguments', () => {
    expect(() => baselineRef({ BENCH_BASELINE: '--output=/tmp/x' }, file(''))).toThrow(/not a git ref/);
    expect(() => baselineRef({}, file('main other'))).toThrow(/not a git ref/);
  });

  it('says what to do when the file names nothing', () => {
    expect(() => baselineRef({}, file('# nothing\n'))).toThrow(/BENCH_BASELINE=none/);
  });

  it('the committed file names one commit, and loadSettings carries it', () => {
    const ref = baselineRef({});
    expect(ref).toMatch(/^[0-9a-f]{7,40}$/);
    expect(readFileSync(BASELINE_REF_FILE, 'utf8').trim()).toBe(ref);
    expect(loadSettings({}).baseline).toBe(ref);
    expect(loadSettings({ BENCH_BASELINE: 'none' }).baseline).toBeUndefined();
  });
});
