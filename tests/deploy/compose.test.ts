import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BOARD_ENV, MIGRATE_ENV, WORKER_ENV, objectKeys, workerConfig } from './support/env';
import { composeEnv, composePorts, durationMs, readCompose } from './support/compose';
import { parseDockerfile } from './support/dockerfile';
import { ROOT, baseObjects, byKind, imageRepo, podContainers, workerNames, type Obj } from './support/repo';
import { localMetricsPort } from './support/services';
import { INDEXER } from '@vaults/shared';
import { chainSchema, loadIndexerConfig } from '@vaults/indexer';
import { DEVCHAIN_FACTORY } from '@vaults/devchain';

// docker/compose.yaml cannot be run here (no Docker engine), so it is read: every service it
// builds is a real workspace package built by a real Dockerfile stage, its environment is what
// the program reads, its ports are the sidecar's, and it starts in the right order.

const compose = readCompose();
const services: Record<string, Obj> = compose.services;
const built = Object.entries(services).filter(([, s]) => s.build);
const workers = workerNames();

const INFRA = ['postgres', 'redis'];
const envOf = (name: string) => composeEnv(services[name]!);

const CHAIN = ['anvil', 'chain-setup', 'indexer'];
/** What packages/devchain/src/cli.ts reads (anvil and chain-setup run it). */
const DEVCHAIN_ENV = new Set(
  [...readFileSync(join(ROOT, 'packages', 'devchain', 'src', 'cli.ts'), 'utf8').matchAll(/process\.env\.(\w+)|num\('(\w+)'/g)].map((m) => (m[1] ?? m[2])!),
);
const INDEXER_ENV = new Set([...WORKER_ENV, ...objectKeys(chainSchema)]);
const knownEnv = (name: string) =>
  name === 'migrate' ? MIGRATE_ENV : name === 'bull-board' ? BOARD_ENV : name === 'indexer' ? INDEXER_ENV : CHAIN.includes(name) ? DEVCHAIN_ENV : WORKER_ENV;

it('brings up Postgres, Redis, the migration, every worker, the chain profile (anvil, its setup, the indexer) and Bull Board', () => {
  expect(Object.keys(services).sort()).toEqual([...INFRA, 'migrate', ...workers, ...CHAIN, 'bull-board'].sort());
});

it('publishes every port on the loopback only, as Postgres and Redis', () => {
  for (const [name, s] of Object.entries(services)) {
    for (const p of (s.ports ?? []) as string[]) expect(`${name} ${p}`).toMatch(new RegExp(`^${name} 127\\.0\\.0\\.1:`));
  }
});

it('the chain profile: anvil healthy, then the contracts seeded, then the indexer, on the factory address the seed checks', () => {
  for (const name of CHAIN) expect(services[name]!.profiles).toEqual(['chain']);
  expect(services['chain-setup']!.depends_on.anvil.condition).toBe('service_healthy');
  const indexer = services.indexer!;
  expect(indexer.depends_on['chain-setup'].condition).toBe('service_completed_successfully');
  expect(indexer.depends_on.migrate.condition).toBe('service_completed_successfully');
  expect(String(envOf('indexer').FACTORY_ADDRESS)).toBe(DEVCHAIN_FACTORY);
  expect(envOf('indexer').RPC_URL).toBe(envOf('chain-setup').RPC_URL);
  const config = loadIndexerConfig(composeEnv(indexer) as Record<string, string>);
  expect(composePorts(indexer)).toEqual([{ host: INDEXER.port, container: config.metricsPort }]);
  expect((indexer.healthcheck.test as string[]).join(' ')).toContain(`http://127.0.0.1:${config.metricsPort}/healthz`);
  expect(durationMs(indexer.stop_grace_period)).toBeGreaterThan(config.shutdownTimeoutMs);
  const deployment = byKind(baseObjects(), 'Deployment').find((d) => d.metadata.name === 'indexer')!;
  expect(imageRepo(indexer.image)).toBe(imageRepo((deployment.spec.template.spec.containers as Obj[])[0]!.image));
});

describe.each(built.map(([name, s]) => [name, s] as const))('%s', (name, service) => {
  const build = service.build as Obj;
  const dockerfile = join(ROOT, 'docker', build.context, build.dockerfile);

  it('is built from an existing Dockerfile stage, and from a real workspace package', () => {
    expect(existsSync(dockerfile)).toBe(true);
    const stages = parseDockerfile(readFileSync(dockerfile, 'utf8')).map((s) => s.name);
    expect(stages).toContain(build.target);
    if (build.target === 'runtime') {
      expect(build.args?.SERVICE).toBe(name);
      expect(existsSync(join(ROOT, 'services', name, 'package.json'))).toBe(true);
    }
  });

  it('sets only environment variables its program reads', () => {
    expect(Object.keys(envOf(name)).filter((k) => !knownEnv(name).has(k))).toEqual([]);
  });
});

describe.each(workers)('worker %s', (name) => {
  const service = services[name]!;
  const env = envOf(name) as Record<string, string>;
  const config = workerConfig(env);

  it('publishes METRICS_PORT, on the host at the local default port of the service', () => {
    expect(composePorts(service)).toEqual([{ host: localMetricsPort(name), container: config.metricsPort }]);
  });

  it('checks health on /healthz at METRICS_PORT', () => {
    const test: string[] = service.healthcheck.test;
    expect(test.join(' ')).toContain(`http://127.0.0.1:${config.metricsPort}/healthz`);
  });

  it('waits for the migration to succeed and for Redis to be healthy', () => {
    expect(service.depends_on.migrate.condition).toBe('service_completed_successfully');
    expect(service.depends_on.redis.condition).toBe('service_healthy');
  });

  it('gives shutdown more time than SHUTDOWN_TIMEOUT_MS before the container is killed', () => {
    expect(durationMs(service.stop_grace_period)).toBeGreaterThan(config.shutdownTimeoutMs);
  });

  it('runs locked down, as in Kubernetes', () => {
    expect(service.read_only).toBe(true);
    expect(service.cap_drop).toContain('ALL');
    expect(service.tmpfs).toContain('/tmp');
  });

  it('uses the image the Kubernetes Deployment uses', () => {
    const deployment = byKind(baseObjects(), 'Deployment').find((d) => d.metadata.name === name)!;
    const container = (deployment.spec.template.spec.containers as Obj[]).find((c) => c.name === 'worker')!;
    expect(imageRepo(service.image)).toBe(imageRepo(container.image));
  });
});

it('the migration image is the one Kubernetes runs before the workers', () => {
  const k8sImages = new Set(baseObjects().flatMap((o) => podContainers(o.spec?.template?.spec ?? {}).map((c) => imageRepo(c.image))));
  expect(k8sImages).toContain(imageRepo(services.migrate!.image));
  expect(services.migrate!.depends_on.postgres.condition).toBe('service_healthy');
});

it('Postgres and Redis have healthchecks; Redis persists and never evicts (BullMQ needs both)', () => {
  for (const name of INFRA) expect(services[name]!.healthcheck?.test).toBeDefined();
  const command = (services.redis!.command as string[]).join(' ');
  expect(command).toMatch(/--appendonly yes/);
  expect(command).toMatch(/--maxmemory-policy noeviction/);
});

it('Bull Board is optional (a profile), needs credentials from the shell, and serves on BULL_BOARD_PORT', () => {
  const board = services['bull-board']!;
  expect(board.profiles?.length).toBeGreaterThan(0);
  const env = envOf('bull-board');
  // Credentials are passed through (no value here), never written into the file.
  expect(env.BULL_BOARD_USER).toBeNull();
  expect(env.BULL_BOARD_PASSWORD).toBeNull();
  expect(env.BULL_BOARD_LOCAL).toBeUndefined();
  const port = Number(env.BULL_BOARD_PORT);
  expect(composePorts(board).map((p) => p.container)).toEqual([port]);
  expect((board.healthcheck.test as string[]).join(' ')).toContain(`:${port}/healthz`);
});
