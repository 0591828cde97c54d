import { REPO_RULES, alertCases, alertNames, caseGaps, promtoolCheckRules, promtoolTestRules } from '../../deploy/support/alert-rules';
import { check, expectThat } from '../lib/report';

// The alert rules as Prometheus reads them, checked with the code pnpm test runs
// (tests/deploy/alert-rules.test.ts): `promtool check rules` on the PrometheusRule's groups, and
// the unit tests under tests/monitoring/ (`promtool test rules`), which must fire every alert at
// least once and leave it silent at least once. Here they run once more before the live
// Prometheus loads the same rules.

export { rulesFile } from '../../deploy/support/alert-rules';

export async function ruleChecks(): Promise<void> {
  await check('promtool check rules: the PrometheusRule of k8s/base', async () => {
    const r = await promtoolCheckRules();
    expectThat(r.ok, r.output);
    return r.output.split('\n').pop();
  });
  await check('promtool test rules: tests/monitoring fires every alert once and leaves it silent once', async () => {
    const gaps = caseGaps();
    expectThat(gaps.length === 0, gaps.join('; '));
    const r = await promtoolTestRules();
    expectThat(r.ok, r.output.split('\n').slice(-30).join('\n'));
    return `${alertNames().length} alerts, ${alertCases(REPO_RULES.tests).length} cases in ${REPO_RULES.tests.length} files: SUCCESS`;
  });
}
