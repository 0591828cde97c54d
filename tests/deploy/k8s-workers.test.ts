import { QUEUES, startService, type AnyServiceDefinition } from '@vaults/shared';
import { createTestDatabase, testEnv, uniqueQueueSuffix } from '@vaults/testkit';
import { followerWorker } from '@vaults/follower-worker';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { tradeWorker } from '@vaults/trade-worker';
import { vaultWorker } from '@vaults/vault-worker';
import { WORKER_ENV, workerConfig } from './support/env';
import { labelValues } from './support/metrics';
import { baseKustomization, baseObjects, byKind, deployedServiceNames, find, migrationJob, servicePackages, podContainers, workerNames, type K8sObject, type Obj } from './support/repo';
import { serviceQueue } from './support/services';

// Per worker: the Deployment's probes hit the sidecar's real port and paths, shutdown fits in the
// grace period, the pod is locked down, and the Service, ServiceMonitor, PodDisruptionBudget and
// ScaledObject all point at it.

const DEFINITIONS: Record<string, AnyServiceDefinition> = { 'vault-worker': vaultWorker, 'trade-worker': tradeWorker, 'follower-worker': followerWorker, 'snapshot-worker': snapshotWorker };

const objects = baseObjects();
const workers = workerNames();

/** A container's environment as the kubelet builds it: envFrom ConfigMaps first, then env. */
function resolvedEnv(container: Obj): Record<string, string> {
  const generators: Obj[] = baseKustomization().configMapGenerator ?? [];
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const name = from.configMapRef?.name;
    const generator = generators.find((g) => g.name === name);
    const configMap = find(objects, 'ConfigMap', name);
    if (!generator && !configMap) throw new Error(`envFrom names ConfigMap ${name}, which the base does not define`);
    for (const literal of generator?.literals ?? []) {
      const eq = literal.indexOf('=');
      env[literal.slice(0, eq)] = literal.slice(eq + 1);
    }
    Object.assign(env, configMap?.data ?? {});
  }
  for (const e of container.env ?? []) env[e.name] = e.value ?? `<from ${JSON.stringify(e.valueFrom)}>`;
  return env;
}

function probePort(probe: Obj, container: Obj): number {
  const port = probe.httpGet.port;
  if (typeof port === 'number') return port;
  const named = (container.ports ?? []).find((p: Obj) => p.name === port);
  if (!named) throw new Error(`probe port "${port}" is not a port of container ${container.name}`);
  return named.containerPort;
}

const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

it('SERVICES lists every worker package, and nothing else', () => {
  expect(servicePackages().filter((n) => n.endsWith('-worker')).sort()).toEqual([...workers].sort());
});

it('DEPLOYED_SERVICES is every service package but the Bull Board and vaults-ops (admin tools: no Deployment; ops runs as Jobs)', () => {
  expect(servicePackages().filter((n) => n !== 'bull-board' && n !== 'ops').sort()).toEqual(deployedServiceNames().sort());
});

it('there is a Deployment for every worker package and the indexer, and a package for every Deployment', () => {
  expect(byKind(objects, 'Deployment').map((d) => d.metadata.name).sort()).toEqual(deployedServiceNames());
});

describe.each(workers)('%s', (name) => {
  const deployment = find(objects, 'Deployment', name) as K8sObject;
  const pod = deployment.spec.template.spec as Obj;
  const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
  const worker = (pod.containers as Obj[]).find((c) => c.name === 'worker') as Obj;
  const env = resolvedEnv(worker);
  const config = workerConfig(Object.fromEntries(Object.entries(env).filter(([, v]) => !v.startsWith('<from'))));

  it('sets only variables the worker reads, and its config accepts them', () => {
    expect(Object.keys(env).filter((k) => !WORKER_ENV.has(k))).toEqual([]);
    expect(config.metricsPort).toBeGreaterThan(0);
  });

  it('exposes METRICS_PORT as the container port named "metrics"', () => {
    const metrics = (worker.ports as Obj[]).find((p) => p.name === 'metrics');
    expect(metrics?.containerPort).toBe(config.metricsPort);
  });

  it('probes the sidecar on METRICS_PORT: liveness /healthz, readiness /readyz', () => {
    expect(worker.livenessProbe.httpGet.path).toBe('/healthz');
    expect(worker.readinessProbe.httpGet.path).toBe('/readyz');
    for (const probe of [worker.livenessProbe, worker.readinessProbe, worker.startupProbe].filter(Boolean)) {
      expect(probePort(probe, worker)).toBe(config.metricsPort);
    }
  });

  it("the worker's own sidecar answers those paths as the probes need: liveness ignores the database, readiness doesn't", async () => {
    // The real service (its definition, the runner, the sidecar), twice: once with its database,
    // once with a database that does not exist.
    const def = DEFINITIONS[name]!;
    const db = await createTestDatabase();
    const suffix = uniqueQueueSuffix();
    const up = await startService(def, { env: testEnv(db.url), queueSuffix: suffix });
    const down = await startService(def, { env: testEnv(db.url.replace(/\/[^/]+$/, '/vaults_no_such_database')), queueSuffix: suffix });
    const get = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;
    try {
      expect(await get(up.port, worker.livenessProbe.httpGet.path)).toBe(200);
      expect(await get(up.port, worker.readinessProbe.httpGet.path)).toBe(200);
      if (worker.startupProbe) expect(await get(up.port, worker.startupProbe.httpGet.path)).toBe(200);
      expect(await get(down.port, worker.livenessProbe.httpGet.path)).toBe(200);
      expect(await get(down.port, worker.readinessProbe.httpGet.path)).toBe(503);
    } finally {
      await Promise.all([up.close(), down.close()]);
      await db.drop();
    }
  });

  it('terminationGracePeriodSeconds outlasts SHUTDOWN_TIMEOUT_MS', () => {
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.shutdownTimeoutMs);
  });

  it('runs locked down: non-root, read-only root, no privilege escalation, no capabilities, seccomp', () => {
    for (const c of podContainers(pod)) {
      const sc = c.securityContext ?? {};
      expect({ container: c.name, runAsNonRoot: sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot }).toEqual({ container: c.name, runAsNonRoot: true });
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.capabilities?.drop).toContain('ALL');
      expect(sc.capabilities?.add ?? []).toEqual([]);
      expect((sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type).toBe('RuntimeDefault');
      expect(sc.privileged ?? false).toBe(false);
    }
    const uid = pod.securityContext?.runAsUser;
    expect(uid === undefined || uid > 0).toBe(true);
  });

  it('mounts a writable emptyDir on /tmp in every container', () => {
    const emptyDirs = new Set((pod.volumes as Obj[]).filter((v) => v.emptyDir).map((v) => v.name));
    for (const c of podContainers(pod)) {
      const tmp = (c.volumeMounts ?? []).find((m: Obj) => m.mountPath === '/tmp');
      expect(emptyDirs).toContain(tmp?.name);
    }
  });

  it('every container has CPU and memory requests and limits', () => {
    for (const c of podContainers(pod)) {
      for (const kind of ['requests', 'limits']) {
        expect(Object.keys(c.resources?.[kind] ?? {}).sort()).toEqual(['cpu', 'memory']);
      }
    }
  });

  it('waits for the schema: an init container of the release\'s migration image only checks the applied migrations, with the read/write DATABASE_URL', () => {
    const wait = (pod.initContainers as Obj[]).find((c) => c.name === 'wait-for-schema') as Obj;
    const job = migrationJob(objects);
    expect(wait.image).toBe(job.spec.template.spec.containers[0].image);
    expect([...(wait.command ?? []), ...(wait.args ?? [])]).toEqual(['node', 'migrate.cjs', '--wait-for-schema']);
    expect((wait.env as Obj[]).map((e) => e.name)).toEqual(['DATABASE_URL']);
    expect(wait.env[0].valueFrom.secretKeyRef).toEqual({ name: 'vaults-secrets', key: 'DATABASE_URL' });
    // No container of a worker pod can read the schema-changing credentials.
    for (const c of podContainers(pod)) for (const e of c.env ?? []) expect(e.valueFrom?.secretKeyRef?.name).not.toBe('vaults-migration-secrets');
  });

  it('the Service selects these pods and exposes the port named metrics', () => {
    const service = find(objects, 'Service', name) as K8sObject;
    expect(selects(service.spec.selector, podLabels)).toBe(true);
    const port = (service.spec.ports as Obj[]).find((p) => p.name === 'metrics');
    const target = typeof port?.targetPort === 'string' ? probePort({ httpGet: { port: port.targetPort } }, worker) : port?.targetPort;
    expect(target).toBe(config.metricsPort);
  });

  it('the ServiceMonitor scrapes that Service port on /metrics', () => {
    const service = find(objects, 'Service', name) as K8sObject;
    const monitor = find(objects, 'ServiceMonitor', name) as K8sObject;
    expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    const servicePorts = (service.spec.ports as Obj[]).map((p) => p.name);
    for (const e of monitor.spec.endpoints as Obj[]) {
      expect(servicePorts).toContain(e.port);
      expect(e.path).toBe('/metrics');
    }
  });

  it('the PodDisruptionBudget covers these pods and lets a drain proceed', () => {
    const pdb = find(objects, 'PodDisruptionBudget', name) as K8sObject;
    expect(selects(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    // minAvailable equal to the minimum replica count would block every node drain.
    expect(pdb.spec.maxUnavailable).toBeGreaterThanOrEqual(1);
  });

  it("the ScaledObject scales this Deployment on its own queue's runnable backlog", async () => {
    const scaled = find(objects, 'ScaledObject', name) as K8sObject;
    expect(scaled.spec.scaleTargetRef.name).toBe(name);
    const [trigger] = scaled.spec.triggers as Obj[];
    expect(trigger!.type).toBe('prometheus');
    const query: string = trigger!.metadata.query;
    expect(labelValues(query, 'queue')).toEqual([QUEUES[serviceQueue(name)].name]);
    expect(labelValues(query, 'namespace')).toEqual([baseKustomization().namespace]);
    expect(query).toMatch(/vaults_queue_jobs\{/);
    expect(query).toMatch(/state=~"waiting\|prioritized"/);
    // Each replica reports the same queue-wide count: sum across replicas would count it N times.
    expect(query).toMatch(/max by \(state\)/);
    expect(Number(trigger!.metadata.threshold)).toBeGreaterThan(0);
    // The metric comes from the workers: at zero replicas nobody would report the backlog.
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(scaled.spec.maxReplicaCount).toBeGreaterThanOrEqual(scaled.spec.minReplicaCount);
  });

  it('the ScaledObject has a fallback, and a cooldownPeriod only where it applies (scaling to 0)', () => {
    const scaled = find(objects, 'ScaledObject', name) as K8sObject;
    expect(scaled.spec.fallback.failureThreshold).toBeGreaterThanOrEqual(1);
    expect(scaled.spec.fallback.replicas).toBeGreaterThanOrEqual(scaled.spec.minReplicaCount);
    expect(scaled.spec.fallback.replicas).toBeLessThanOrEqual(scaled.spec.maxReplicaCount);
    // KEDA's fallback needs the AverageValue metric type (the default when none is set).
    expect((scaled.spec.triggers as Obj[])[0]!.metricType ?? 'AverageValue').toBe('AverageValue');
    // KEDA applies cooldownPeriod only to scaling to zero: with a minimum above 0 it would mislead.
    if (scaled.spec.minReplicaCount > 0) expect(scaled.spec.cooldownPeriod).toBeUndefined();
  });

  it("the ServiceMonitor keeps the operator's target labels (honorLabels not true)", () => {
    const monitor = find(objects, 'ServiceMonitor', name) as K8sObject;
    for (const e of monitor.spec.endpoints as Obj[]) expect(e.honorLabels ?? false).toBe(false);
  });

  it('leaves the replica count to the autoscaler', () => {
    expect(deployment.spec.replicas).toBeUndefined();
  });
});
