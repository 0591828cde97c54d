import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { limitsFromManifests } from '../../bench/capacity/capacity';

// The capacity model (pnpm bench, docs/CAPACITY.md) reads each worker's KEDA replica limit and
// CPU limit from the manifests as Kubernetes gets them: a worker is the template plus its values
// (k8s/base/workers/<name>/values.yaml), so the model must see the values' maxReplicaCount, not
// a default.

const ROOT = join(__dirname, '..', '..');

it.each(['vault', 'trade', 'follower', 'snapshot'])('the model takes the %s-worker limits of its values', (worker) => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'k8s', 'base', 'workers', worker, 'values.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; spec: { maxReplicaCount?: number } });
  const scaled = docs.find((d) => d.kind === 'ScaledObject');
  expect(scaled?.spec.maxReplicaCount).toBeGreaterThan(1);
  const limits = limitsFromManifests()[`${worker}-worker`]!;
  expect(limits.maxReplicas).toBe(scaled!.spec.maxReplicaCount);
  expect(limits.cpuLimit).toBe(1);
});
