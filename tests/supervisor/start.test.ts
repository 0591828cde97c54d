import { createServer, type Server } from 'node:net';
import { Queue } from 'bullmq';
import { QUEUES, SERVICES as SERVICE_LIST, createRedis, laneSizes, type Redis } from '@vaults/shared';

import { TEST_REDIS_URL, createTestDatabase, waitUntil, type TestDatabase } from '@vaults/testkit';
import { Anvil, DevChain, deployVaults, newSession, tradeBlocks } from '@vaults/devchain';
import { planPorts } from '../../scripts/ports';
import { restartDelayMs } from '../../scripts/supervisor';
import { Launch, alive, gone } from './launch';

// `pnpm start` behaves like the platform it imitates: its workers die with it even when it is
// killed with SIGKILL (no handler runs), a crashed worker is restarted with back-off and the
// restart is logged, a taken port fails naming the variable to set, and two of them run side by
// side (METRICS_PORT=0). Each run has a database and a queue prefix of its own.

const SERVICES = SERVICE_LIST.map((s) => s.name);
/** BullMQ worker connections of one fleet: one per lane (packages/shared/src/platform/worker-lanes.ts). */
const FLEET_LANES = SERVICE_LIST.reduce((n, s) => n + laneSizes(s.concurrency).length, 0);
jest.setTimeout(180_000);

let db: TestDatabase;
let redis: Redis;
const launches: Launch[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  redis = createRedis(TEST_REDIS_URL, 'fail-fast');
});
afterAll(async () => {
  // Whatever a failed test left running.
  for (const l of launches) if (l.proc.exitCode === null) l.proc.kill('SIGKILL');
  redis.disconnect();
  await db.drop();
});

function env(prefix: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    MIGRATE_WITH: 'sql',
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...extra,
  };
}

function launch(how: 'pnpm' | 'sh' | 'node', e: NodeJS.ProcessEnv): Launch {
  const l = new Launch(how, e);
  launches.push(l);
  return l;
}

/** Workers connected to each queue of a prefix (BullMQ names its worker connections). */
async function workersOn(prefix: string): Promise<number> {
  // A Queue names its own connection like an unnamed worker's: leave ours out of the count.
  const own = String(await redis.client('ID'));
  let n = 0;
  for (const q of Object.values(QUEUES)) {
    const queue = new Queue(q.name, { connection: redis, prefix });
    n += (await queue.getWorkers()).filter((w) => w.id !== own).length;
    await queue.close();
  }
  return n;
}

/** Redis drops a dead process's connections when it reads their end; an orphan's stay for good. */
async function noWorkersOn(prefix: string): Promise<void> {
  await waitUntil(async () => (await workersOn(prefix)) === 0, 15_000, `no worker connected on ${prefix}`);
}

it('restarts a crashed worker with back-off, logs it, and dies whole with pnpm (SIGKILL) or its shell (SIGKILL), side by side', async () => {
  const a = launch('pnpm', env('supervise-a'));
  const b = launch('sh', env('supervise-b'));
  const [pidsA, pidsB] = await Promise.all([a.ready(SERVICES), b.ready(SERVICES)]);
  const supA = await a.supervisorPid();
  const supB = await b.supervisorPid();
  // Two `pnpm start` at once: eight workers on eight ports, each fleet on its own queues.
  expect(await workersOn('supervise-a')).toBe(FLEET_LANES);
  expect(await workersOn('supervise-b')).toBe(FLEET_LANES);

  // A crash: the worker is started again, and the supervisor says so.
  process.kill(pidsA['trade-worker']!, 'SIGKILL');
  await a.line(/\[start\] trade-worker \(pid \d+\) exited \(SIGKILL\) after [\d.]+ s; restart 1 in 1\.0 s/);
  const newPid = Number((await a.line(/\[start\] trade-worker restarted \(pid (\d+), restart 1\)/))[1]);
  expect(newPid).not.toBe(pidsA['trade-worker']);
  await a.line(new RegExp(`\\[start\\] trade-worker ready \\(pid ${newPid}`));
  expect(await workersOn('supervise-a')).toBe(FLEET_LANES);
  const fleetA = [supA, newPid, ...SERVICES.filter((s) => s !== 'trade-worker').map((s) => pidsA[s]!)];

  // SIGKILL of pnpm itself: no handler runs anywhere above the workers.
  a.proc.kill('SIGKILL');
  await gone(fleetA);
  await noWorkersOn('supervise-a');
  // The other `pnpm start` is untouched.
  expect(Object.values(pidsB).every(alive)).toBe(true);
  expect(await workersOn('supervise-b')).toBe(FLEET_LANES);

  // SIGKILL of the shell between the launcher and the supervisor: the supervisor sees its parent
  // go, and stops its workers.
  b.proc.kill('SIGKILL');
  await b.line(/\[start\] process \d+ that launched it is gone: stopping the workers/);
  await gone([supB, ...Object.values(pidsB)]);
  await noWorkersOn('supervise-b');
});

it('dies whole when the supervisor itself is killed with SIGKILL (the workers watch it)', async () => {
  const c = launch('node', env('supervise-c'));
  const pids = await c.ready(SERVICES);
  c.proc.kill('SIGKILL');
  await gone(Object.values(pids));
  await noWorkersOn('supervise-c');
});

it('with RPC_URL, runs the indexer too: it indexes the chain and stops with the others', async () => {
  const anvil = await Anvil.start();
  try {
    const chain = await new DevChain(anvil.url).init();
    await chain.deployFactory();
    await tradeBlocks(chain, newSession(await deployVaults(chain, 1), 3), 3, 2);
    const head = await chain.head();
    const l = launch('node', env('supervise-chain', { RPC_URL: anvil.url, FACTORY_ADDRESS: chain.factory, START_BLOCK: String(chain.factoryBlock), POLL_INTERVAL_MS: '100' }));
    const pids = await l.ready([...SERVICES, 'indexer']);
    const port = Number((await l.line(/\[start\] indexer ready \(pid \d+, port (\d+)\)/))[1]);
    let cursor = -1;
    await waitUntil(async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      cursor = Number(/^vaults_indexer_cursor_block(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? -1);
      return cursor >= head;
    }, 60_000, `the indexer's cursor at head ${head}`);
    l.proc.kill('SIGTERM');
    expect((await l.exited).code).toBe(0);
    await gone(Object.values(pids));
    expect(l.output()).toMatch(/\[start\] indexer \(pid \d+\) stopped \(code 0\)/);
  } finally {
    await anvil.stop('SIGKILL');
  }
});

it('refuses to start the indexer without RPC_URL', async () => {
  const l = launch('node', env('supervise-norpc', { SERVICES: 'indexer' }));
  expect((await l.exited).code).toBe(1);
  expect(l.output()).toContain('the indexer needs RPC_URL');
});

describe('ports', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '0.0.0.0', () => r()));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => taken.close(() => r())));

  it('fails at once, naming PORT_OFFSET and METRICS_PORT, when a sidecar port is taken', async () => {
    // PORT_OFFSET puts the trade worker (default 9102) on the taken port.
    const e = env('supervise-d', { PORT_OFFSET: String(port - 9102) });
    delete e.METRICS_PORT;
    const l = launch('node', e);
    expect((await l.exited).code).toBe(1);
    expect(l.output()).toContain(`port ${port} (trade-worker's sidecar, /metrics) is already in use`);
    expect(l.output()).toMatch(/Set PORT_OFFSET to move all four ports .* or METRICS_PORT=0 for any free ports/);
    expect(l.output()).not.toContain('supervisor pid'); // nothing was started
  });

  it('refuses one METRICS_PORT for four sidecars, and a bad PORT_OFFSET', () => {
    expect(() => planPorts({ METRICS_PORT: '9200' })).toThrow(/set PORT_OFFSET=n to move all four .* or METRICS_PORT=0/);
    expect(() => planPorts({ PORT_OFFSET: '-1' })).toThrow(/PORT_OFFSET must be an integer/);
    expect(planPorts({ PORT_OFFSET: '10' })).toEqual({ 'vault-worker': 9111, 'trade-worker': 9112, 'follower-worker': 9113, 'snapshot-worker': 9114 });
    expect(Object.values(planPorts({ METRICS_PORT: '0', PORT_OFFSET: '10' }))).toEqual([0, 0, 0, 0]);
    expect(planPorts({ PORT_OFFSET: '10' }, ['trade-worker', 'indexer'])).toEqual({ 'trade-worker': 9112, indexer: 9115 });
  });

  it('a worker started alone names METRICS_PORT when its port is taken', async () => {
    const e = env('supervise-e', { METRICS_PORT: String(port), METRICS_HOST: '0.0.0.0' });
    const l = new Launch('node', e, 'services/trade-worker/src/main.ts');
    launches.push(l);
    expect((await l.exited).code).toBe(1);
    expect(l.output()).toContain(`METRICS_PORT ${port} is already in use on 0.0.0.0`);
    expect(l.output()).toContain('set METRICS_PORT to a free port, or 0 for any free port');
  });
});

it('doubles the restart delay with each quick failure, up to a cap', () => {
  expect([1, 2, 3, 4, 7, 8, 20].map((n) => restartDelayMs(n))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
});
