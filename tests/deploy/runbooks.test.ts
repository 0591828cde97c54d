import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QUEUES } from '@vaults/shared';
import { ROOT, baseObjects, byKind, type Obj } from './support/repo';

// Every alert has a runbook: a `runbook_url` annotation pointing at its section of docs/RUNBOOKS.md
// (`## <AlertName>`, anchor = the name in lower case), and the section says what the alert means,
// what to look at and what to do. The `vaults-ops` commands the runbooks give exist, with real
// queues and reasons, and each has its Job template (k8s/base/ops).

const RUNBOOKS = readFileSync(join(ROOT, 'docs', 'RUNBOOKS.md'), 'utf8');
const COMMANDS = ['status', 'retry-failed', 'resnapshot', 'rewind'];
const REASONS = ['invalid', 'unknown_job', 'conflicting_copy', 'exhausted'];
const objects = baseObjects();
const alerts = byKind(objects, 'PrometheusRule').flatMap((r) => (r.spec.groups as Obj[]).flatMap((g) => (g.rules as Obj[]).filter((x) => x.alert)));

/** The `## ` sections of the runbooks, by heading. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  const parts = RUNBOOKS.split(/^## /m).slice(1);
  for (const p of parts) out.set(p.slice(0, p.indexOf('\n')).trim(), p);
  return out;
}

it('finds the alerts', () => {
  expect(alerts.length).toBeGreaterThanOrEqual(14);
});

it.each(alerts.map((a) => [a.alert as string, a] as const))('%s: runbook_url points at its section', (name, alert) => {
  const url: string = alert.annotations?.runbook_url ?? '';
  expect(url).toMatch(new RegExp(`^https://[^\\s#]+/docs/RUNBOOKS\\.md#${name.toLowerCase()}$`));
  expect(sections().has(name)).toBe(true);
});

it.each(alerts.map((a) => [a.alert as string] as const))('%s: the section says what it means, what to look at, what to do', (name) => {
  const body = sections().get(name) ?? '';
  for (const part of ['**What it means.**', '**What to look at.**', '**What to do.**']) expect(`${name}: ${body.includes(part)}`).toBe(`${name}: true`);
});

it('has no section for an alert that does not exist (beside the general ones)', () => {
  const names = new Set(alerts.map((a) => a.alert));
  const extra = [...sections().keys()].filter((h) => /^Vaults[A-Z]/.test(h) && !names.has(h));
  expect(extra).toEqual([]);
});

it('every in-page link points at a section', () => {
  const anchors = new Set([...sections().keys()].map((h) => h.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
  for (const [, anchor] of RUNBOOKS.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors).toContain(anchor);
});

it('every vaults-ops command it gives exists, with a real queue and reason, and has a Job template', () => {
  const uses = [...RUNBOOKS.matchAll(/vaults-ops ([a-z-]+)([^`\n]*)/g)];
  expect(uses.length).toBeGreaterThan(10);
  const queues = Object.values(QUEUES).map((q) => q.name);
  for (const [, command, rest] of uses) {
    expect(COMMANDS).toContain(command);
    const queue = /--queue (\S+)/.exec(rest!)?.[1];
    if (queue && !queue.startsWith('<')) expect(queues).toContain(queue);
    const reason = /--reason (\S+)/.exec(rest!)?.[1];
    if (reason) expect(REASONS).toContain(reason);
  }
  const templates = new Set(byKind(objects, 'CronJob').map((c) => c.metadata.name));
  for (const [, command] of RUNBOOKS.matchAll(/cronjob\/vaults-ops-([a-z-]+)/g)) expect(templates).toContain(`vaults-ops-${command}`);
});
