import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { K8S, allKustomizations, allManifests, entryKustomizations, rel, walk, type K8sObject } from './support/repo';
import { SCHEMA_FILE, generateStrictSchema, serialise, strictValidator } from './support/strict-schema';

// Every overlay as kubectl renders it, each object validated against the strict schema of its kind
// (k8s/schemas: Kubernetes OpenAPI, KEDA and prometheus-operator CRDs; unknown fields rejected).

const validate = strictValidator();

/** `kubectl kustomize <dir>`: the objects exactly as `kubectl apply -k` would send them. */
function render(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS() as K8sObject);
}

const id = (o: K8sObject) => `${o.kind}/${o.metadata?.name}`;
const roots = entryKustomizations().map((k) => k.dir);

describe('manifests against strict schemas', () => {
  it('renders a base and at least one overlay', () => {
    expect(roots.map(rel)).toEqual(expect.arrayContaining(['k8s/base', 'k8s/overlays/production']));
  });

  it.each(roots.map((d) => [rel(d), d] as const))('%s: every rendered object is valid, no unknown field', (_, dir) => {
    const objects = render(dir);
    expect(objects.length).toBeGreaterThan(10);
    const failures = objects.map((o) => validate(id(o), o)).filter((r) => r.errors.length);
    expect(failures).toEqual([]);
  });

  it('files no kustomization renders (alternatives, the secret example) are valid too', () => {
    const rendered = new Set(allKustomizations().flatMap((k) => walk(k.dir, () => true)));
    const loose = allManifests().filter((m) => !rendered.has(m.file));
    expect(loose.map((m) => rel(m.file))).toEqual(expect.arrayContaining(['k8s/secret.example.yaml']));
    const failures = loose.map((m) => validate(`${rel(m.file)} ${id(m.obj)}`, m.obj)).filter((r) => r.errors.length);
    expect(failures).toEqual([]);
  });

  it('a misspelt field in an overlay patch (maxReplicaCont) fails, naming the field', () => {
    // A throwaway overlay on top of production with the typo in a patch, rendered by kubectl.
    const dir = mkdtempSync(join(tmpdir(), 'vaults-typo-'));
    try {
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          'resources:',
          `  - ${relative(dir, join(K8S, 'overlays', 'production'))}`,
          'patches:',
          '  - patch: |',
          '      apiVersion: keda.sh/v1alpha1',
          '      kind: ScaledObject',
          '      metadata: { name: trade-worker }',
          '      spec: { maxReplicaCont: 16 }',
          '',
        ].join('\n'),
      );
      const scaled = render(dir).find((o) => o.kind === 'ScaledObject' && o.metadata.name === 'trade-worker')!;
      expect(scaled.spec.maxReplicaCont).toBe(16); // kustomize itself lets it through
      expect(validate('typo', scaled).errors).toEqual(['/spec: unknown field "maxReplicaCont"']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a wrong type, a misplaced field and an unknown kind', () => {
    const deployment = render(join(K8S, 'base')).find((o) => o.kind === 'Deployment')!;
    const wrongType = structuredClone(deployment);
    wrongType.spec.template.spec.containers[0].ports[0].containerPort = 'nine-thousand';
    expect(validate('type', wrongType).errors.join()).toMatch(/containerPort/);
    const misplaced = structuredClone(deployment);
    misplaced.spec.template.spec.containers[0].readOnlyRootFilesystem = true; // belongs in securityContext
    expect(validate('misplaced', misplaced).errors).toContain('/spec/template/spec/containers/0: unknown field "readOnlyRootFilesystem"');
    expect(validate('kind', { apiVersion: 'example.com/v1', kind: 'Widget' }).errors).toEqual(['no schema for example.com/v1 Widget']);
  });

  it('the vendored schema is what the pinned packages produce (pnpm schemas:k8s)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(serialise(generateStrictSchema()));
  });

  it('knows every kind used under k8s/', () => {
    const kinds = new Set(allManifests().map((m) => `${m.obj.apiVersion}/${m.obj.kind}`));
    const known = Object.keys(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')).kinds);
    expect([...kinds].filter((k) => !known.includes(k))).toEqual([]);
  });
});
