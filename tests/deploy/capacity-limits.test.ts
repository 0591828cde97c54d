import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderManifests, workerLimits } from '../../bench/capacity/manifest-limits';

// The capacity model (pnpm bench, docs/CAPACITY.md) reads each worker's KEDA replica limit and
// CPU limit from the manifests as Kubernetes gets them: a worker is the template plus its values
// (k8s/base/workers/<name>/values.yaml), so the model must see the values' maxReplicaCount, not
// a default (it once read files that had moved and assumed one replica, silently).

const ROOT = join(__dirname, '..', '..');
const rendered = parseAllDocuments(renderManifests(join(ROOT, 'k8s', 'base'))).map((d) => d.toJS() as unknown);

it.each(['vault', 'trade', 'follower', 'snapshot'])('the model takes the %s-worker limits of its values', (worker) => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'k8s', 'base', 'workers', worker, 'values.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; spec: { maxReplicaCount?: number } });
  const scaled = docs.find((d) => d.kind === 'ScaledObject');
  expect(scaled?.spec.maxReplicaCount).toBeGreaterThan(1);
  const warnings: string[] = [];
  const limits = workerLimits(rendered, (m) => warnings.push(m))[`${worker}-worker`]!;
  expect(limits.maxReplicas).toBe(scaled!.spec.maxReplicaCount);
  expect(limits.cpuLimit).toBe(1);
  expect(warnings).toEqual([]);
});

it('says so when a worker is missing, and takes one replica of one core', () => {
  const warnings: string[] = [];
  const limits = workerLimits([{ kind: 'Namespace', metadata: { name: 'vaults' } }], (m) => warnings.push(m));
  expect(limits['trade-worker']).toEqual({ maxReplicas: 1, cpuLimit: 1 });
  expect(warnings.some((w) => w.startsWith('trade-worker:'))).toBe(true);
});
