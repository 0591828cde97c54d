import { execFileSync } from 'node:child_process';

// Each worker's KEDA replica limit and CPU limit, as Kubernetes gets them: `kubectl kustomize
// k8s/base` renders each worker as the template plus its values (k8s/base/workers/<name>/). No
// third-party import here: the deploy tests use it with their own YAML parser.

export const WORKER_NAMES = ['vault-worker', 'trade-worker', 'follower-worker', 'snapshot-worker'] as const;

export type WorkerLimits = Record<string, { maxReplicas: number; cpuLimit: number }>;

/** The manifests of `dir` rendered by kubectl kustomize (YAML text); throws without kubectl. */
export function renderManifests(dir: string): string {
  return execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

interface Manifest {
  kind?: string;
  metadata?: { name?: string };
  spec?: { maxReplicaCount?: number; template?: { spec?: { containers?: { resources?: { limits?: { cpu?: string | number } } }[] } } };
}

/**
 * Per worker: its ScaledObject's maxReplicaCount and its Deployment's (first) container CPU
 * limit, from the rendered documents. A worker missing from them is reported through `warn` and
 * taken as one replica of one core: never a silent guess.
 */
export function workerLimits(docs: readonly unknown[], warn: (message: string) => void): WorkerLimits {
  const manifests = docs.filter((d): d is Manifest => typeof d === 'object' && d !== null);
  const out: WorkerLimits = {};
  for (const name of WORKER_NAMES) {
    const scaled = manifests.find((o) => o.kind === 'ScaledObject' && o.metadata?.name === name);
    const deployment = manifests.find((o) => o.kind === 'Deployment' && o.metadata?.name === name);
    const cpu = deployment?.spec?.template?.spec?.containers?.[0]?.resources?.limits?.cpu;
    if (manifests.length && (!scaled || cpu === undefined)) warn(`${name}: no ScaledObject or CPU limit in the manifests; assuming 1 replica of 1 core`);
    out[name] = { maxReplicas: Number(scaled?.spec?.maxReplicaCount ?? 1), cpuLimit: cpu === undefined ? 1 : cores(String(cpu)) };
  }
  return out;
}

const cores = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
