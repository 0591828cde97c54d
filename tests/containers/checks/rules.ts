import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT } from '../../deploy/support/repo';
import { check, expectThat } from '../lib/report';
import { run } from '../lib/sh';

// The alert rules as Prometheus reads them: the PrometheusRule's groups, `promtool check rules`,
// and the unit tests under tests/monitoring/ (`promtool test rules`), which must fire every alert
// at least once and leave it silent at least once.

const RULE = join(ROOT, 'k8s', 'base', 'prometheus-rule.yaml');
const TESTS = join(ROOT, 'tests', 'monitoring', 'vaults-workers.test.yaml');

/** The PrometheusRule's spec as a Prometheus rules file. */
export function rulesFile(): string {
  return stringify({ groups: parse(readFileSync(RULE, 'utf8')).spec.groups });
}

export const alertNames = (): string[] =>
  (parse(rulesFile()).groups as { rules: { alert?: string }[] }[]).flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));

export async function ruleChecks(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vaults-rules-'));
  try {
    writeFileSync(join(dir, 'vaults-workers.rules.yaml'), rulesFile());
    copyFileSync(TESTS, join(dir, 'vaults-workers.test.yaml'));
    await check('promtool check rules: the PrometheusRule of k8s/base', async () => {
      const r = await run('promtool', ['check', 'rules', join(dir, 'vaults-workers.rules.yaml')]);
      return r.stdout.trim().split('\n').pop();
    });
    await check('promtool test rules: tests/monitoring fires every alert once and leaves it silent once', async () => {
      const tests = parse(readFileSync(TESTS, 'utf8')).tests as { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
      const missing = alertNames().flatMap((a) => {
        const mine = cases.filter((c) => c.alertname === a);
        return [
          ...(mine.some((c) => (c.exp_alerts ?? []).length > 0) ? [] : [`${a}: no case that fires it`]),
          ...(mine.some((c) => (c.exp_alerts ?? []).length === 0) ? [] : [`${a}: no case where it stays silent`]),
        ];
      });
      expectThat(missing.length === 0, missing.join('; '));
      const r = await run('promtool', ['test', 'rules', join(dir, 'vaults-workers.test.yaml')], { allowFail: true });
      expectThat(r.code === 0, `${r.stdout}${r.stderr}`.trim().split('\n').slice(-30).join('\n'));
      return `${alertNames().length} alerts, ${cases.length} cases: SUCCESS`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
