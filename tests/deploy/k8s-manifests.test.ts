import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  K8S,
  allKustomizations,
  allManifests,
  baseKustomization,
  baseObjects,
  entryKustomizations,
  find,
  isKustomization,
  isYaml,
  kustomizationObjects,
  podContainers,
  podSpecOf,
  readYamlDocs,
  referencedPaths,
  rel,
  walk,
  type Obj,
} from './support/repo';

// Every manifest under k8s/ is valid against its schema, every kustomization is whole, and no
// secret value is written in any of them.

const VALIDATOR = join(__dirname, 'support', 'validate-models.mjs');

function validate(objects: { id: string; obj: unknown }[]): { id: string; error: string | null }[] {
  const out = execFileSync(process.execPath, [VALIDATOR], { input: JSON.stringify(objects), encoding: 'utf8' });
  return JSON.parse(out);
}

describe('schemas', () => {
  const manifests = allManifests();

  it('finds the manifests (base, overlay, alternatives, secret example)', () => {
    const kinds = new Set(manifests.map((m) => m.obj.kind));
    for (const kind of ['Deployment', 'Service', 'ServiceMonitor', 'PodDisruptionBudget', 'ScaledObject', 'Job', 'PrometheusRule', 'HorizontalPodAutoscaler', 'Secret']) {
      expect(kinds).toContain(kind);
    }
  });

  it('every object under k8s/ (patches excepted) validates against its Kubernetes or CRD schema', () => {
    // Patches are partial objects by design: they are checked after merging, below.
    const patches = new Set(allKustomizations().flatMap((k) => (k.spec.patches ?? []).map((p: Obj) => join(k.dir, p.path))));
    const objects = manifests
      .filter((m) => !patches.has(m.file))
      .map((m) => ({ id: `${rel(m.file)}#${m.index} ${m.obj.kind}/${m.obj.metadata?.name}`, obj: m.obj }));
    const failures = validate(objects).filter((r) => r.error !== null);
    expect(failures).toEqual([]);
  });

  it('overlay patches still validate once merged into the objects they patch', () => {
    for (const k of allKustomizations().filter((k) => k.spec.patches?.length)) {
      const objects = kustomizationObjects(k.dir);
      const merged = (k.spec.patches as Obj[]).flatMap((p) => readYamlDocs(join(k.dir, p.path)) as Obj[]).map((patch, i) => {
        const target = find(objects, patch.kind, patch.metadata.name);
        return { id: `${rel(k.dir)} patch ${i} ${patch.kind}/${patch.metadata.name}`, obj: target ? strategicMerge(target, patch) : patch };
      });
      expect(validate(merged).filter((r) => r.error !== null)).toEqual([]);
    }
  });

  it('the validator rejects a broken object and an unknown kind (so the checks above can fail)', () => {
    const deployment = find(baseObjects(), 'Deployment', 'trade-worker');
    const broken = structuredClone(deployment!) as Obj;
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'nine-thousand';
    const results = validate([
      { id: 'broken', obj: broken },
      { id: 'unknown', obj: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } } },
    ]);
    expect(results.map((r) => r.error)).toEqual([expect.stringMatching(/containerPort/), expect.stringMatching(/no schema/)]);
  });
});

/** Strategic merge for what the overlay uses: maps merge, lists of named items merge by name. */
function strategicMerge(target: unknown, patch: unknown): unknown {
  if (Array.isArray(target) && Array.isArray(patch)) {
    const named = (x: unknown) => typeof x === 'object' && x !== null && 'name' in x;
    if (!patch.every(named)) return patch;
    const out = target.map((t) => {
      const p = patch.find((q) => named(t) && (q as Obj).name === (t as Obj).name);
      return p ? strategicMerge(t, p) : t;
    });
    return [...out, ...patch.filter((p) => !target.some((t) => named(t) && (t as Obj).name === (p as Obj).name))];
  }
  if (typeof target === 'object' && target && typeof patch === 'object' && patch && !Array.isArray(patch)) {
    const out: Obj = { ...(target as Obj) };
    for (const [k, v] of Object.entries(patch)) out[k] = k in out ? strategicMerge(out[k], v) : v;
    return out;
  }
  return patch;
}

describe('kustomizations', () => {
  const kustomizations = allKustomizations();

  it('there is a base and a production overlay, in namespace vaults', () => {
    expect(entryKustomizations().map((k) => rel(k.file)).sort()).toEqual(['k8s/base/kustomization.yaml', 'k8s/overlays/production/kustomization.yaml']);
    expect(baseKustomization().namespace).toBe('vaults');
    expect(find(baseObjects(), 'Namespace', 'vaults')).toBeDefined();
  });

  it.each(kustomizations.map((k) => [rel(k.file), k] as const))('%s: every resource, patch and generator file exists', (_, k) => {
    // The shared worker definition is a Component (kustomize's reusable unit, v1alpha1).
    expect([k.spec.apiVersion, k.spec.kind]).toEqual(
      k.spec.kind === 'Component' ? ['kustomize.config.k8s.io/v1alpha1', 'Component'] : ['kustomize.config.k8s.io/v1beta1', 'Kustomization'],
    );
    const missing = referencedPaths(k).filter((p) => !existsSync(p));
    expect(missing.map(rel)).toEqual([]);
  });

  it('every manifest in base/ and overlays/ is used by its kustomization (none is silently left out)', () => {
    const used = new Set(kustomizations.flatMap(referencedPaths));
    const files = [join(K8S, 'base'), join(K8S, 'overlays')].flatMap((d) => walk(d, (f) => isYaml(f) && !isKustomization(f)));
    expect(files.filter((f) => !used.has(f)).map(rel)).toEqual([]);
  });

  it('the secret example and the alternatives are not applied by any kustomization', () => {
    const used = new Set(kustomizations.flatMap(referencedPaths).map(rel));
    const notApplied = walk(K8S, isYaml).map(rel).filter((f) => f.startsWith('k8s/alternatives/') || f.endsWith('secret.example.yaml'));
    expect(notApplied.length).toBeGreaterThanOrEqual(3);
    for (const f of notApplied) expect(used).not.toContain(f);
  });

  it('each overlay patch targets an object of the base, and each image override names an image in use', () => {
    const objects = baseObjects();
    const images = new Set(objects.flatMap((o) => podContainers(podSpecOf(o)).map((c) => c.image)));
    for (const k of kustomizations.filter((k) => k.dir.includes('overlays'))) {
      for (const patch of (k.spec.patches ?? []).flatMap((p: Obj) => readYamlDocs(join(k.dir, p.path)) as Obj[])) {
        expect(find(objects, patch.kind, patch.metadata.name)).toBeDefined();
      }
      for (const image of k.spec.images ?? []) expect(images).toContain(image.name);
    }
  });
});

describe('secrets', () => {
  const applied = entryKustomizations().flatMap((k) => kustomizationObjects(k.dir));

  it('no kustomization applies a Secret or generates one from literal values', () => {
    expect(applied.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const k of allKustomizations()) expect(k.spec.secretGenerator ?? []).toEqual([]);
  });

  it('credentials come from secretKeyRef, never from a value; every key referenced is in the secret example', () => {
    const example = readYamlDocs(join(K8S, 'secret.example.yaml')) as Obj[];
    const secrets = new Map(example.map((s) => [s.metadata.name, Object.keys({ ...s.stringData, ...s.data })]));
    const containers = applied.flatMap((o) => podContainers(o.spec?.template?.spec ?? {}));
    expect(containers.length).toBeGreaterThan(0);
    for (const c of containers) {
      for (const e of c.env ?? []) {
        if (/(_URL|PASSWORD|SECRET|TOKEN|_KEY)$/.test(e.name)) {
          expect({ name: e.name, value: e.value }).toEqual({ name: e.name, value: undefined });
          expect(e.valueFrom?.secretKeyRef).toBeDefined();
        }
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) expect(secrets.get(ref.name) ?? []).toContain(ref.key);
      }
    }
  });

  it('no manifest holds a URL with a password in it', () => {
    const withPassword = /\w+:\/\/[^/\s:@]*:[^@\s]+@/;
    for (const file of walk(K8S, isYaml).filter((f) => !f.endsWith('secret.example.yaml'))) {
      const hits = readFileSync(file, 'utf8').split('\n').filter((l) => withPassword.test(l) && !/^\s*#/.test(l));
      expect({ file: rel(file), hits }).toEqual({ file: rel(file), hits: [] });
    }
  });
});
