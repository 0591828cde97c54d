import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QUEUES } from '@vaults/shared';
import { exportedSeriesNames, labelValues, metricNamesIn } from './support/metrics';
import { BASE, K8S, allManifests, baseKustomization, baseObjects, byKind, type Obj } from './support/repo';

// The alerts, the dashboard and the autoscaling queries ask for series that the workers really
// export (the names come from the registry the workers use, not from a list kept here).

/** Series that come from outside the workers, each named on purpose. */
const EXTERNAL = new Set([
  'kube_deployment_status_replicas_available', // kube-state-metrics
]);
const QUEUE_NAMES = Object.values(QUEUES).map((q) => q.name);
const NAMESPACE = baseKustomization().namespace;

let exported: Set<string>;
beforeAll(async () => {
  exported = await exportedSeriesNames();
});

function unknownNames(expr: string): string[] {
  return metricNamesIn(expr).filter((n) => !exported.has(n) && !EXTERNAL.has(n));
}

describe('metric name extraction (the checks below rely on it)', () => {
  it('finds metric names and skips functions, labels, keywords, durations and variables', () => {
    const expr = `histogram_quantile(0.95, sum by (queue, le) (rate(vaults_event_lag_seconds_bucket{queue=~"$queue", state="x"}[$__rate_interval])))
      / on (queue) group_left sum without (pod) (up offset 5m) and bool label_values(vaults_queue_jobs, queue)`;
    expect(metricNamesIn(expr).sort()).toEqual(['up', 'vaults_event_lag_seconds_bucket', 'vaults_queue_jobs']);
  });

  it('flags a name the workers do not export', () => {
    expect(unknownNames('sum(rate(vaults_jobs_completed_totl[5m]))')).toEqual(['vaults_jobs_completed_totl']);
    expect(unknownNames('rate(vaults_jobs_completed_total[5m])')).toEqual([]);
  });
});

describe('PrometheusRule', () => {
  const rules = byKind(
    allManifests(BASE).map((m) => m.obj),
    'PrometheusRule',
  ).flatMap((r) => (r.spec.groups as Obj[]).flatMap((g) => g.rules as Obj[]));
  const alerts = rules.filter((r) => r.alert);

  it('alerts on failed jobs, a growing backlog, no ready replicas, event lag and event-loop lag', () => {
    const used = new Set(alerts.flatMap((a) => metricNamesIn(a.expr)));
    for (const name of ['vaults_jobs_failed_total', 'vaults_queue_jobs', 'kube_deployment_status_replicas_available', 'vaults_event_lag_seconds_bucket', 'nodejs_eventloop_lag_max_seconds']) {
      expect(used).toContain(name);
    }
  });

  it.each(alerts.map((a) => [a.alert, a] as const))('%s: uses only exported series, real queues, this namespace', (_, alert) => {
    expect(unknownNames(alert.expr)).toEqual([]);
    for (const q of labelValues(alert.expr, 'queue')) expect(QUEUE_NAMES).toContain(q);
    for (const ns of labelValues(alert.expr, 'namespace')) expect(ns).toBe(NAMESPACE);
  });

  // Its runbook section (docs/RUNBOOKS.md) is checked by runbooks.test.ts.
  it.each(alerts.map((a) => [a.alert, a] as const))('%s: has a severity, a summary and a duration', (_, alert) => {
    expect(['warning', 'critical']).toContain(alert.labels?.severity);
    expect(alert.annotations?.summary).toBeTruthy();
    expect(alert.for).toMatch(/^\d+[smh]$/);
  });

  it('the deployments named in the no-ready-replicas alert are the worker Deployments', () => {
    const alert = alerts.find((a) => metricNamesIn(a.expr).includes('kube_deployment_status_replicas_available'))!;
    const names = /deployment=~"([^"]+)"/.exec(alert.expr)![1]!.split('|').sort();
    const deployments = byKind(baseObjects(), 'Deployment').map((d) => d.metadata.name).sort();
    expect(names).toEqual(deployments);
  });
});

describe('Grafana dashboard', () => {
  const generator = (baseKustomization().configMapGenerator as Obj[]).find((g) => g.options?.labels?.grafana_dashboard);
  const files: string[] = generator?.files ?? [];

  it('is generated into a ConfigMap that Grafana picks up', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(generator!.options.disableNameSuffixHash).toBe(true);
  });

  it.each(files)('%s: parses, and every query uses exported series and real queues', (file) => {
    const dashboard = JSON.parse(readFileSync(join(BASE, file), 'utf8'));
    expect(dashboard.uid).toBeTruthy();
    const panels: Obj[] = dashboard.panels;
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const exprs = [
      ...panels.flatMap((p) => (p.targets as Obj[]).map((t) => t.expr as string)),
      ...(dashboard.templating.list as Obj[]).filter((v) => v.type === 'query').map((v) => (v.query?.query ?? v.query) as string),
    ];
    expect(exprs.length).toBeGreaterThan(panels.length - 1);
    for (const expr of exprs) {
      expect({ expr, unknown: unknownNames(expr) }).toEqual({ expr, unknown: [] });
      for (const q of labelValues(expr, 'queue')) expect(QUEUE_NAMES).toContain(q);
    }
    // Every metric of the workers' own is on the dashboard somewhere.
    const used = new Set(exprs.flatMap(metricNamesIn).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    for (const name of [...exported].filter((n) => n.startsWith('vaults_') && !/_(bucket|sum|count)$/.test(n))) {
      expect(used).toContain(name);
    }
  });
});

it('the autoscaling queries (KEDA) use exported series only', () => {
  const scaled = byKind([...baseObjects(), ...allManifests(join(K8S, 'alternatives')).map((m) => m.obj)], 'ScaledObject');
  const queries = scaled.flatMap((s) => ((s.spec.triggers ?? []) as Obj[]).filter((t) => t.type === 'prometheus').map((t) => t.metadata.query as string));
  expect(queries.length).toBeGreaterThanOrEqual(4);
  for (const q of queries) expect(unknownNames(q)).toEqual([]);
});
