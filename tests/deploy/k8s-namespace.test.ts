import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelValues } from './support/metrics';
import { K8S, byKind, kustomizationObjects, migrationJob, type K8sObject, type Obj } from './support/repo';

// The namespace comes from the overlay. A team copies k8s/overlays/production, changes its
// `namespace:` line and nothing else: every object, the KEDA queries and the migration Job follow,
// and no alert expression reads another installation's series. Rendered with kubectl kustomize
// from a copy of k8s/ in a temporary folder.

let dir: string;
let staging: K8sObject[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vaults-k8s-'));
  cpSync(K8S, join(dir, 'k8s'), { recursive: true });
  const overlay = join(dir, 'k8s', 'overlays', 'staging');
  cpSync(join(K8S, 'overlays', 'production'), overlay, { recursive: true });
  const file = join(overlay, 'kustomization.yaml');
  const text = readFileSync(file, 'utf8');
  expect(text).toMatch(/^namespace: vaults$/m);
  writeFileSync(file, text.replace(/^namespace: vaults$/m, 'namespace: staging').replace(/newTag: "1\.0\.0"/g, 'newTag: "1.1.0-rc.1"'));
  staging = kustomizationObjects(overlay);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('puts every object in the overlay namespace, the Namespace object included', () => {
  expect(byKind(staging, 'Namespace').map((n) => n.metadata.name)).toEqual(['staging']);
  for (const o of staging.filter((x) => x.kind !== 'Namespace')) expect(`${o.kind}/${o.metadata.name} ${o.metadata.namespace}`).toBe(`${o.kind}/${o.metadata.name} staging`);
});

it("scales each worker on its own namespace's queues (KEDA query)", () => {
  const scaled = byKind(staging, 'ScaledObject');
  expect(scaled.length).toBeGreaterThan(0);
  for (const s of scaled) expect(labelValues((s.spec.triggers as Obj[])[0]!.metadata.query, 'namespace')).toEqual(['staging']);
});

it('no alert expression names a namespace; each keeps the namespace label (grouped by it) so alerts are per installation', () => {
  const rules = byKind(staging, 'PrometheusRule').flatMap((r) => (r.spec.groups as Obj[]).flatMap((g) => g.rules as Obj[]));
  expect(rules.length).toBeGreaterThan(0);
  for (const r of rules) {
    expect(`${r.alert}: ${labelValues(r.expr, 'namespace').join(',')}`).toBe(`${r.alert}: `);
    const by = [...String(r.expr).matchAll(/\bby\s*\(([^)]*)\)/g)].map((m) => m[1]!.split(',').map((l) => l.trim()));
    for (const labels of by) expect(`${r.alert}: by (${labels.join(', ')})`).toMatch(/\bnamespace\b/);
  }
});

it("names the migration Job after the release (the migrate image's tag)", () => {
  const job = migrationJob(staging);
  expect(job.spec.template.spec.containers[0].image).toMatch(/:1\.1\.0-rc\.1$/);
  expect(job.metadata.name).toBe('vaults-migrate-1.1.0-rc.1');
});
