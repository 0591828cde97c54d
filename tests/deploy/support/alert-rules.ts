import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT, rel, walk } from './repo';

// The alert rules as Prometheus reads them: the PrometheusRule's groups as a rules file,
// `promtool check rules` on it, and `promtool test rules` on the unit tests of tests/monitoring/,
// which must fire every alert at least once and leave it silent at least once. Used by
// tests/deploy/alert-rules.test.ts (pnpm test) and by pnpm test:containers.

export interface RuleSources {
  /** A PrometheusRule manifest. */
  rule: string;
  /** promtool unit-test files; each names RULES_FILE in rule_files. */
  tests: string[];
}

/** The name the test files give the extracted rules file (their `rule_files`). */
export const RULES_FILE = 'vaults-workers.rules.yaml';

export const REPO_RULES: RuleSources = {
  rule: join(ROOT, 'k8s', 'base', 'prometheus-rule.yaml'),
  tests: walk(join(ROOT, 'tests', 'monitoring'), (f) => /\.test\.ya?ml$/.test(f)),
};

/** The PrometheusRule's spec as a Prometheus rules file. */
export function rulesFile(rule = REPO_RULES.rule): string {
  return stringify({ groups: parse(readFileSync(rule, 'utf8')).spec.groups });
}

export const alertNames = (rule = REPO_RULES.rule): string[] =>
  (parse(rulesFile(rule)).groups as { rules: { alert?: string }[] }[]).flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));

interface AlertCase {
  alertname: string;
  exp_alerts?: unknown[] | null;
}
interface TestFile {
  rule_files?: string[];
  tests?: { alert_rule_test?: AlertCase[] }[];
}

export const alertCases = (tests: string[]): AlertCase[] =>
  tests.flatMap((f) => ((parse(readFileSync(f, 'utf8')) as TestFile).tests ?? []).flatMap((t) => t.alert_rule_test ?? []));

/**
 * What the unit tests lack: an alert without a case that fires it or without one where it stays
 * silent, a case for an alert that does not exist (promtool passes a silent one for any name),
 * a test file that does not load the extracted rules. Empty when complete.
 */
export function caseGaps(src: RuleSources = REPO_RULES): string[] {
  const alerts = alertNames(src.rule);
  const cases = alertCases(src.tests);
  const fires = (c: AlertCase) => (c.exp_alerts ?? []).length > 0;
  return [
    ...src.tests.flatMap((f) => {
      const files = (parse(readFileSync(f, 'utf8')) as TestFile).rule_files;
      return files?.length === 1 && files[0] === RULES_FILE ? [] : [`${rel(f)}: rule_files must be [${RULES_FILE}]`];
    }),
    ...alerts.flatMap((a) => {
      const mine = cases.filter((c) => c.alertname === a);
      return [
        ...(mine.some(fires) ? [] : [`${a}: no case that fires it`]),
        ...(mine.some((c) => !fires(c)) ? [] : [`${a}: no case where it stays silent`]),
      ];
    }),
    ...[...new Set(cases.map((c) => c.alertname))].filter((n) => !alerts.includes(n)).map((n) => `${n}: tested, but no such alert`),
  ];
}

export interface PromtoolResult {
  ok: boolean;
  /** promtool's stdout and stderr. */
  output: string;
}

function promtool(args: string[]): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(new Error(`promtool: ${err.message} (bash .ci/run installs the apt package prometheus)`));
      else resolve({ ok: !err, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** Runs fn in a temporary directory holding RULES_FILE and a copy of every test file. */
async function staged<T>(src: RuleSources, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'vaults-rules-'));
  try {
    writeFileSync(join(dir, RULES_FILE), rulesFile(src.rule));
    for (const t of src.tests) copyFileSync(t, join(dir, basename(t)));
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const promtoolCheckRules = (src: RuleSources = REPO_RULES) => staged(src, (dir) => promtool(['check', 'rules', join(dir, RULES_FILE)]));

export const promtoolTestRules = (src: RuleSources = REPO_RULES) =>
  staged(src, (dir) => promtool(['test', 'rules', ...src.tests.map((t) => join(dir, basename(t)))]));
