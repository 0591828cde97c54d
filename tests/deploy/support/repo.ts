import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { DEPLOYED_SERVICES, SERVICES } from '@vaults/shared';

// Reading the deployment files of the repository: YAML (multi-document), kustomizations, the
// workspace's services. What a kustomization produces is rendered by kubectl's built-in kustomize
// (the workers are one shared definition, k8s/base/workers/template, filled in per service).

export const ROOT = join(__dirname, '..', '..', '..');
export const K8S = join(ROOT, 'k8s');
export const rel = (file: string) => relative(ROOT, file);

export type Obj = Record<string, any>;
export interface K8sObject extends Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}
export interface Manifest {
  file: string;
  index: number;
  obj: K8sObject;
}

export function walk(dir: string, keep: (file: string) => boolean): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path, keep) : keep(path) ? [path] : [];
    });
}

export const isYaml = (file: string) => /\.ya?ml$/.test(file);
export const isKustomization = (file: string) => /(^|\/)kustomization\.ya?ml$/.test(file);

/** Every document of a YAML file; a syntax error or a duplicate key throws, naming the file. */
export function readYamlDocs(file: string, opts: { merge?: boolean } = {}): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: opts.merge ?? false, uniqueKeys: true });
  if (!Array.isArray(docs)) throw new Error(`${rel(file)}: not a YAML stream`);
  return docs.flatMap((doc) => {
    if (doc.errors.length) throw new Error(`${rel(file)}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS();
    return value == null ? [] : [value];
  });
}

export function readYaml(file: string, opts: { merge?: boolean } = {}): Obj {
  return parse(readFileSync(file, 'utf8'), { merge: opts.merge ?? false, uniqueKeys: true });
}

/** Files a kustomization names under `replacements: - path:` (lists of replacements, not objects). */
export function replacementFiles(dir = K8S): Set<string> {
  return new Set(allKustomizations(dir).flatMap((k) => (k.spec.replacements ?? []).filter((r: Obj) => r.path).map((r: Obj) => join(k.dir, r.path))));
}

/** Every Kubernetes object in every YAML file under k8s/, kustomization and replacement files excepted. */
export function allManifests(dir = K8S): Manifest[] {
  const replacements = replacementFiles(dir);
  return walk(dir, (f) => isYaml(f) && !isKustomization(f) && !replacements.has(f)).flatMap((file) =>
    readYamlDocs(file).map((obj, index) => ({ file, index, obj: obj as K8sObject })),
  );
}

export interface Kustomization {
  file: string;
  dir: string;
  spec: Obj;
}

export function allKustomizations(dir = K8S): Kustomization[] {
  return walk(dir, isKustomization).map((file) => ({ file, dir: join(file, '..'), spec: readYaml(file) }));
}

/** Paths a kustomization names: resources, patch files, generator files. */
export function referencedPaths(k: Kustomization): string[] {
  const s = k.spec;
  const patchPaths = [...(s.patches ?? []), ...(s.patchesStrategicMerge ?? [])]
    .map((p: Obj | string) => (typeof p === 'string' ? p : p.path))
    .filter(Boolean);
  const generatorFiles = [...(s.configMapGenerator ?? []), ...(s.secretGenerator ?? [])].flatMap((g: Obj) => [
    ...(g.files ?? []).map((f: string) => f.replace(/^[^=]*=/, '')),
    ...(g.envs ?? []),
  ]);
  const replacementPaths = (s.replacements ?? []).map((r: Obj) => r.path).filter(Boolean);
  return [...(s.resources ?? []), ...(s.components ?? []), ...patchPaths, ...generatorFiles, ...replacementPaths].map((p: string) => join(k.dir, p));
}

/** The kustomizations to apply (k8s/base, the overlays); k8s/base/workers/* are parts of the base. */
export function entryKustomizations(dir = K8S): Kustomization[] {
  return allKustomizations(dir).filter((k) => !k.dir.startsWith(join(BASE, 'workers')));
}

/** `kubectl kustomize <dir>`: the objects exactly as `kubectl apply -k` would send them. */
export function kustomizationObjects(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(out as string).flatMap((d) => {
    const value = (d as { toJS(): unknown }).toJS();
    return value == null ? [] : [value as K8sObject];
  });
}

export const BASE = join(K8S, 'base');
export const baseKustomization = (): Obj => readYaml(join(BASE, 'kustomization.yaml'));
let baseCache: K8sObject[] | undefined;
/** The rendered base (cached: every suite reads it, and rendering runs kubectl). */
export const baseObjects = (): K8sObject[] => structuredClone((baseCache ??= kustomizationObjects(BASE)));

export function byKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** The migration Job (its name carries the release in an overlay: vaults-migrate-<tag>). */
export function migrationJob(objects: K8sObject[]): K8sObject {
  const jobs = byKind(objects, 'Job').filter((j) => j.metadata.labels?.['app.kubernetes.io/component'] === 'migration');
  if (jobs.length !== 1) throw new Error(`expected one migration Job, found ${jobs.length}`);
  return jobs[0]!;
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata?.name === name);
}

/** Folders under services/ that are workspace packages; the queue workers end in -worker. */
export function servicePackages(): string[] {
  const dir = join(ROOT, 'services');
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'package.json')))
    .sort();
}
/** The queue workers: the one list of services (SERVICES in @vaults/shared). */
export const workerNames = (): string[] => SERVICES.map((s) => s.name);
/** Services with a Deployment of their own: the queue workers and the indexer. */
export const deployedServiceNames = () => [...DEPLOYED_SERVICES].sort();

/** The image repository without its tag ("registry/x/y:1.2" -> "registry/x/y"). */
export function imageRepo(image: string): string {
  const at = image.split('@')[0]!;
  const slash = at.lastIndexOf('/');
  const colon = at.lastIndexOf(':');
  return colon > slash ? at.slice(0, colon) : at;
}

/** The pod spec of a Deployment, Job (spec.template) or CronJob (spec.jobTemplate.spec.template). */
export function podSpecOf(o: Obj): Obj {
  return o.spec?.jobTemplate?.spec?.template?.spec ?? o.spec?.template?.spec ?? {};
}

export function podContainers(podSpec: Obj): Obj[] {
  return [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])];
}
