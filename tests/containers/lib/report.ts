// What the suite checked: each check prints PASS or FAIL with its detail as it runs, and the run
// ends with `N passed, M failed`. A check that throws fails; the suite goes on where it can.

export interface Result {
  name: string;
  passed: boolean;
  detail: string;
  seconds: number;
}

export const results: Result[] = [];
export const log = (line: string) => process.stdout.write(`[containers] ${line}\n`);

/** Runs one check; its return value (if a string) is printed as the detail. */
export async function check(name: string, fn: () => Promise<string | void> | string | void): Promise<boolean> {
  const t0 = Date.now();
  let passed = true;
  let detail = '';
  try {
    detail = (await fn()) ?? '';
  } catch (err) {
    passed = false;
    detail = (err as Error).message ?? String(err);
  }
  const r = { name, passed, detail, seconds: (Date.now() - t0) / 1000 };
  results.push(r);
  log(`${passed ? 'PASS' : 'FAIL'} ${name}${detail ? `: ${detail.split('\n').join('\n    ')}` : ''} (${r.seconds.toFixed(1)} s)`);
  return passed;
}

/** Throws with a message when a condition does not hold (checks are plain functions). */
export function expectThat(cond: boolean, message: string): void {
  if (!cond) throw new Error(message);
}
