import { loadIndexerConfig } from '@vaults/indexer';
import { baseKustomization, baseObjects, find, migrationJob, type K8sObject, type Obj } from './support/repo';

// The indexer's Deployment: one leader and one standby, probes on the port its config sets,
// every variable it is given accepted by its config schema, and its Service, ServiceMonitor and
// PodDisruptionBudget select it.

const objects = baseObjects();
const deployment = find(objects, 'Deployment', 'indexer') as K8sObject;
const pod = deployment.spec.template.spec as Obj;
const container = (pod.containers as Obj[]).find((c) => c.name === 'indexer') as Obj;

function resolvedEnv(): Record<string, string> {
  const generators: Obj[] = baseKustomization().configMapGenerator ?? [];
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    // Rendered names carry kustomize's content hash ("<name>-<10 chars>").
    const generator = generators.find((g) => from.configMapRef?.name.replace(/-[a-z0-9]{10}$/, '') === g.name);
    if (!generator) throw new Error(`envFrom names ConfigMap ${from.configMapRef?.name}, which the base does not generate`);
    for (const literal of generator.literals ?? []) env[literal.slice(0, literal.indexOf('='))] = literal.slice(literal.indexOf('=') + 1);
  }
  for (const e of container.env ?? []) env[e.name] = e.value ?? `<secret ${e.valueFrom.secretKeyRef.key}>`;
  return env;
}

it('runs two replicas: one indexes, one stands by on the writer lock', () => {
  expect(deployment.spec.replicas).toBe(2);
});

it('its configuration is accepted by the indexer config schema (secrets stand-ins)', () => {
  const env = resolvedEnv();
  expect(Object.keys(env)).toEqual(expect.arrayContaining(['RPC_URL', 'DATABASE_URL', 'REDIS_URL', 'FACTORY_ADDRESS', 'START_BLOCK']));
  const secrets = { RPC_URL: 'https://node.example', DATABASE_URL: 'postgresql://u@db/vaults', DIRECT_DATABASE_URL: 'postgresql://u@db-direct/vaults', REDIS_URL: 'redis://redis:6379' };
  const config = loadIndexerConfig({ ...env, ...secrets });
  const port = container.ports.find((p: Obj) => p.name === 'metrics').containerPort;
  expect(config.metricsPort).toBe(port);
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) expect(container[probe].httpGet.port).toBe('metrics');
  expect(container.readinessProbe.httpGet.path).toBe('/readyz');
  expect(container.livenessProbe.httpGet.path).toBe('/healthz');
  expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.shutdownTimeoutMs);
});

it('reads the RPC URL, database and Redis from the secret, never from a literal', () => {
  for (const name of ['RPC_URL', 'DATABASE_URL', 'REDIS_URL']) {
    const e = (container.env as Obj[]).find((x) => x.name === name)!;
    expect(e.value).toBeUndefined();
    expect(e.valueFrom.secretKeyRef.name).toBe('vaults-secrets');
  }
});

it.each(['Service', 'ServiceMonitor', 'PodDisruptionBudget'])('its %s selects the indexer pods', (kind) => {
  const o = find(objects, kind, 'indexer') as K8sObject;
  const selector = o.spec.selector.matchLabels ?? o.spec.selector;
  const labels = kind === 'ServiceMonitor' ? find(objects, 'Service', 'indexer')!.metadata.labels! : deployment.spec.template.metadata.labels;
  for (const [k, v] of Object.entries(selector)) expect(labels[k]).toBe(v);
});

it('waits for the schema like the workers: the migration image only checks the applied migrations, with the read/write DATABASE_URL', () => {
  const wait = (pod.initContainers as Obj[]).find((c) => c.name === 'wait-for-schema') as Obj;
  expect([...(wait.command ?? []), ...(wait.args ?? [])]).toEqual(['node', 'migrate.cjs', '--wait-for-schema']);
  expect(wait.image).toBe(migrationJob(objects).spec.template.spec.containers[0].image);
  expect((wait.env as Obj[]).map((e) => [e.name, e.valueFrom?.secretKeyRef?.name])).toEqual([['DATABASE_URL', 'vaults-secrets']]);
});
