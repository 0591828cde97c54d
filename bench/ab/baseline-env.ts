import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Which commit the bench compares against (the "before" of a before/after run). The default is
// the one line of bench/ab/baseline-ref (the main before the trade cost work), so every run of
// `pnpm bench` shows the same comparison; BENCH_BASELINE=<git ref> overrides it for one run,
// BENCH_BASELINE=none skips the comparison (the current code alone, as before the A/B bench).

export const BASELINE_REF_FILE = join(__dirname, 'baseline-ref');

/** The baseline ref to check out, or undefined for none. `fileText`: bench/ab/baseline-ref's contents. */
export function baselineRef(env: NodeJS.ProcessEnv, fileText: () => string = () => readFileSync(BASELINE_REF_FILE, 'utf8')): string | undefined {
  const fromEnv = env.BENCH_BASELINE?.trim();
  if (fromEnv && ['none', '0', 'off'].includes(fromEnv.toLowerCase())) return undefined;
  const ref = fromEnv || firstLine(fileText());
  if (!ref) throw new Error('BENCH_BASELINE unset and bench/ab/baseline-ref names no commit (BENCH_BASELINE=none skips the comparison)');
  // Handed to git as an argument: never an option, never two words.
  if (ref.startsWith('-') || /\s/.test(ref)) throw new Error(`BENCH_BASELINE: "${ref}" is not a git ref`);
  return ref;
}

/** The first line that is neither empty nor a # comment. */
function firstLine(text: string): string | undefined {
  return text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
}
