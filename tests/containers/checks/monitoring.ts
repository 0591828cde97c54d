import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, type Obj } from '../../deploy/support/repo';
import { check, expectThat } from '../lib/report';
import { waitFor } from '../lib/sh';
import { NAMESPACE, ruleHealth, targetsHealth, type Prometheus } from '../lib/prometheus';

// Prometheus against the running containers: every target up, every rule evaluates, every
// dashboard panel query parses and returns data, and a failure shows up in VaultsJobsFailing.

const DASHBOARD = join(ROOT, 'k8s', 'base', 'dashboards', 'vaults-workers.json');

export async function targetsCheck(prom: Prometheus, expected: number): Promise<void> {
  await check(`Prometheus scrapes every service's /metrics (workers and indexer): ${expected} targets up`, async () => {
    let last: { job: string; health: string; error: string }[] = [];
    await waitFor(async () => {
      last = await targetsHealth(prom.url);
      return last.length === expected && last.every((t) => t.health === 'up');
    }, 30_000, 'every target up').catch((err) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(last)}`);
    });
    return last.map((t) => `${t.job} ${t.health}`).join(', ');
  });
}

/** Grafana's variables as a person viewing the dashboard would have them: this namespace, all queues. */
function substitute(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '1m')
    .replace(/\$__interval|\$\{__interval\}/g, '15s')
    .replace(/\$\{?namespace\}?/g, NAMESPACE)
    .replace(/\$\{?queue(:\w+)?\}?/g, '.*');
}

export async function dashboardCheck(prom: Prometheus): Promise<void> {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Obj;
  const panels = (dashboard.panels as Obj[]).flatMap((p) => (p.targets ?? []).map((t: Obj) => ({ title: p.title as string, expr: t.expr as string })));
  await check(`dashboard variables resolve against the live series`, async () => {
    const out: string[] = [];
    for (const v of (dashboard.templating?.list ?? []) as Obj[]) {
      if (v.type !== 'query') continue;
      const q = typeof v.query === 'string' ? v.query : v.query.query;
      const m = /^label_values\((.*),\s*(\w+)\)$/.exec(q);
      expectThat(Boolean(m), `${v.name}: not a label_values() query: ${q}`);
      const url = `${prom.url}/api/v1/label/${m![2]}/values?match[]=${encodeURIComponent(substitute(m![1]!))}`;
      const values = ((await (await fetch(url)).json()) as { data: string[] }).data;
      expectThat(values.length > 0, `${v.name}: ${q} has no values`);
      out.push(`${v.name} = ${values.join('|')}`);
    }
    return out.join('; ');
  });
  await check(`every dashboard panel query (${panels.length}) parses and returns data`, async () => {
    const empty: string[] = [];
    let series = 0;
    for (const p of panels) {
      const result = await prom.query(substitute(p.expr)); // throws on a parse error
      if (result.length === 0) empty.push(`${p.title}: ${p.expr}`);
      series += result.length;
    }
    expectThat(empty.length === 0, `no data:\n${empty.join('\n')}`);
    return `${series} series across ${panels.length} queries`;
  });
}

export async function ruleHealthCheck(prom: Prometheus): Promise<void> {
  await check('every alert rule evaluates without error against the live series', async () => {
    const rules = await ruleHealth(prom.url);
    expectThat(rules.length > 0, 'no rules loaded');
    const bad = rules.filter((r) => r.health !== 'ok');
    expectThat(bad.length === 0, JSON.stringify(bad));
    return rules.map((r) => `${r.name} ${r.state ?? ''}`.trim()).join(', ');
  });
}

/** The first failure counts: the counter was exported at 0, so increase() sees 0 -> 1. */
export async function firstFailureAlertCheck(prom: Prometheus, queue: string): Promise<void> {
  await check('the first failed job makes VaultsJobsFailing pending (failure counters exported at 0 from start-up)', async () => {
    const expr = `ALERTS{alertname="VaultsJobsFailing", queue="${queue}", reason="invalid"}`;
    let found: Obj[] = [];
    await waitFor(async () => (found = await prom.query(expr)).length > 0, 30_000, expr);
    return `${expr} -> ${found.map((f) => f.metric.alertstate).join(', ')}`;
  });
}
