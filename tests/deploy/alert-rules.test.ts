import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_RULES, RULES_FILE, alertNames, caseGaps, promtoolCheckRules, promtoolTestRules, type RuleSources } from './support/alert-rules';

// The alert rules of k8s/base under promtool (apt package prometheus; bash .ci/run installs it):
// they load, and the unit tests of tests/monitoring/ fire every alert once and leave it silent once.

describe('the PrometheusRule of k8s/base', () => {
  it('promtool check rules accepts it', async () => {
    const r = await promtoolCheckRules();
    expect(r).toMatchObject({ ok: true });
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('every alert has a promtool case that fires it and one where it stays silent', () => {
    expect(alertNames().length).toBeGreaterThan(0);
    expect(caseGaps()).toEqual([]);
  });

  it('promtool test rules passes on every file of tests/monitoring', async () => {
    expect(REPO_RULES.tests.length).toBeGreaterThan(0);
    const r = await promtoolTestRules();
    expect({ ok: r.ok, output: r.ok ? '' : r.output }).toEqual({ ok: true, output: '' });
  });
});

// The checks above must be able to fail: a synthetic rule and tests that leave gaps.
describe('the checker, on a synthetic rule', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vaults-rules-check-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const ALERT = { alert: 'SyntheticUp', expr: 'synthetic_up == 1', for: '1m', labels: { severity: 'warning' } };
  const rule = (rules: object[], otherGroups: object[] = []) => {
    const file = join(dir, 'rule.yaml');
    const groups = [...otherGroups, { name: 'synthetic', rules }];
    writeFileSync(file, stringify({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', spec: { groups } }));
    return file;
  };
  const tests = (name: string, cases: { alertname: string; exp_alerts: object[] }[], ruleFiles = [RULES_FILE]) => {
    const file = join(dir, name);
    const series = [{ series: 'synthetic_up', values: '1x5' }];
    writeFileSync(file, stringify({ rule_files: ruleFiles, tests: cases.map((c) => ({ interval: '1m', input_series: series, alert_rule_test: [{ eval_time: '3m', ...c }] })) }));
    return file;
  };
  const fired = { exp_labels: { severity: 'warning' } };

  it('reports an alert of the repository rule that no test file covers', () => {
    const src: RuleSources = { rule: rule([ALERT], parse(readFileSync(REPO_RULES.rule, 'utf8')).spec.groups), tests: REPO_RULES.tests };
    expect(caseGaps(src)).toEqual(['SyntheticUp: no case that fires it', 'SyntheticUp: no case where it stays silent']);
  });

  it('reports a missing firing case and a missing silent case separately', () => {
    const silentOnly = tests('silent.test.yaml', [{ alertname: 'SyntheticUp', exp_alerts: [] }]);
    expect(caseGaps({ rule: rule([ALERT]), tests: [silentOnly] })).toEqual(['SyntheticUp: no case that fires it']);
    const firesOnly = tests('fires.test.yaml', [{ alertname: 'SyntheticUp', exp_alerts: [fired] }]);
    expect(caseGaps({ rule: rule([ALERT]), tests: [firesOnly] })).toEqual(['SyntheticUp: no case where it stays silent']);
    expect(caseGaps({ rule: rule([ALERT]), tests: [silentOnly, firesOnly] })).toEqual([]);
  });

  it('reports a case for an alert that does not exist, and a test file that loads other rules', () => {
    const file = tests('typo.test.yaml', [{ alertname: 'SyntheticUpp', exp_alerts: [] }], ['other.rules.yaml']);
    expect(caseGaps({ rule: rule([ALERT]), tests: [file] })).toEqual([
      expect.stringMatching(new RegExp(`typo\\.test\\.yaml: rule_files must be \\[${RULES_FILE}\\]$`)),
      'SyntheticUp: no case that fires it',
      'SyntheticUp: no case where it stays silent',
      'SyntheticUpp: tested, but no such alert',
    ]);
  });

  it('promtool test rules fails on a wrong expectation and passes on the right one', async () => {
    const wrong = tests('wrong.test.yaml', [{ alertname: 'SyntheticUp', exp_alerts: [] }]);
    const r = await promtoolTestRules({ rule: rule([ALERT]), tests: [wrong] });
    expect(r.ok).toBe(false);
    expect(r.output).toContain('alertname: SyntheticUp');
    const right = tests('right.test.yaml', [{ alertname: 'SyntheticUp', exp_alerts: [fired] }]);
    expect(await promtoolTestRules({ rule: rule([ALERT]), tests: [right] })).toMatchObject({ ok: true });
  });

  it('promtool check rules fails on an expression that does not parse', async () => {
    const r = await promtoolCheckRules({ rule: rule([{ ...ALERT, expr: 'synthetic_up ==' }]), tests: [] });
    expect(r.ok).toBe(false);
  });
});
