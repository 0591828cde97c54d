import { Writable } from 'node:stream';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { QUEUES, createRedis, isCluster, queueName, queuePrefix, type QueueKey, type Redis } from '@vaults/shared';
import { TEST_REDIS_URL, uniqueQueueSuffix } from '@vaults/testkit';
import { buildBoardApp, createBoardLogger, safeEqual } from '../src/app';
import { loadBoardConfig } from '../src/config';

// The board in-process, on a real port of 127.0.0.1, over queues of this test's own (a unique suffix).
// (fastify.inject is not used: light-my-request requires cookie 2, also ES-module only.)

// @fastify/static (under @bull-board/fastify) requires content-disposition 3, which is ES-module
// only: Node 20.19+ loads it (require(esm)), jest's CommonJS runtime cannot before Node 24.9.
// It only serves reply.download(), which the board never calls; a stand-in lets jest load the rest.
// (The lasting fix is a transformIgnorePatterns exception in jest.config.js.)
jest.mock(
  require.resolve('content-disposition', {
    paths: [require.resolve('@fastify/static', { paths: [require.resolve('@bull-board/fastify')] })],
  }),
  () => ({ create: (filename: string) => `attachment; filename="${filename}"` }),
);

const USER = 'ops';
const PASSWORD = 'correct-horse-battery-staple';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('bull board app', () => {
  const suffix = uniqueQueueSuffix();
  const logLines: string[] = [];
  let app: FastifyInstance;
  let base = '';
  const get = (path: string, authorization?: string, method = 'GET') =>
    fetch(base + path, { method, headers: authorization ? { authorization } : {} });
  let redis: Redis;
  let tradeQueue: Queue;
  // The board's key layout (pnpm test:cluster runs this file with TEST_REDIS_URL on a cluster).
  const prefixOf = (name: string) => queuePrefix('bull', name, isCluster(redis));

  beforeAll(async () => {
    const config = loadBoardConfig({ REDIS_URL: TEST_REDIS_URL, BULL_BOARD_USER: USER, BULL_BOARD_PASSWORD: PASSWORD, LOG_LEVEL: 'debug' });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    app = await buildBoardApp({ config, logger: createBoardLogger('debug', sink), queueSuffix: suffix });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    redis = createRedis(TEST_REDIS_URL, 'wait');
    tradeQueue = new Queue(queueName('trade', suffix), { connection: redis, prefix: prefixOf(queueName('trade', suffix)) });
  });

  afterAll(async () => {
    await app.close();
    for (const key of Object.keys(QUEUES) as QueueKey[]) {
      const q = new Queue(queueName(key, suffix), { connection: redis, prefix: prefixOf(queueName(key, suffix)) });
      await q.obliterate({ force: true });
      await q.close();
    }
    await tradeQueue.close();
    redis.disconnect();
  });

  it('answers 401 with a basic-auth challenge without credentials', async () => {
    for (const url of ['/', '/api/queues']) {
      const res = await get(url);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Bull Board"/);
    }
  });

  it('answers 401 to a wrong password, a wrong user and a malformed header', async () => {
    for (const authorization of [basic(USER, 'wrong'), basic('root', PASSWORD), basic(USER, PASSWORD + 'x'), 'Bearer abc']) {
      const res = await get('/api/queues', authorization);
      expect(res.status).toBe(401);
    }
  });

  it('serves the UI with the right credentials', async () => {
    const res = await get('/', basic(USER, PASSWORD));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('<title>Vault queues</title>');
  });

  it('lists the four queues, with the job counts Redis holds', async () => {
    await tradeQueue.add('TradeExecuted', { any: 'payload' });
    const res = await get('/api/queues', basic(USER, PASSWORD));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    const names = body.queues.map((q) => q.name).sort();
    expect(names).toEqual((Object.keys(QUEUES) as QueueKey[]).map((k) => queueName(k, suffix)).sort());
    expect(body.queues.find((q) => q.name === queueName('trade', suffix))!.counts.waiting).toBe(1);
    expect(body.queues.find((q) => q.name === queueName('vault', suffix))!.counts.waiting).toBe(0);
    await tradeQueue.drain();
  });

  it('retries a failed job through the board API', async () => {
    const name = queueName('vault', suffix);
    const workerRedis = createRedis(TEST_REDIS_URL, 'wait');
    const worker = new Worker(name, async () => {
      throw new UnrecoverableError('bad payload');
    }, { connection: workerRedis, autorun: false, prefix: prefixOf(name) });
    const failed = new Promise<string>((resolve) => worker.on('failed', (job) => resolve(job!.id!)));
    const queue = new Queue(name, { connection: redis, prefix: prefixOf(name) });
    await queue.add('VaultDeployed', { broken: true });
    void worker.run();
    const jobId = await failed;
    await worker.close();
    workerRedis.disconnect();
    expect(await (await queue.getJob(jobId))!.getState()).toBe('failed');

    const res = await get(`/api/queues/${encodeURIComponent(name)}/${jobId}/retry`, basic(USER, PASSWORD), 'PUT');
    expect(res.ok).toBe(true);
    expect(await (await queue.getJob(jobId))!.getState()).toBe('waiting');
    const unauthenticated = await get(`/api/queues/${encodeURIComponent(name)}/${jobId}/retry`, undefined, 'PUT');
    expect(unauthenticated.status).toBe(401);
    await queue.close();
  });

  it('keeps /healthz open for probes', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('never writes the password (or the encoded header) to its logs', async () => {
    await (await get('/api/queues', basic(USER, PASSWORD))).text();
    await (await get('/api/queues', basic(USER, 'wrong'))).text();
    const logs = logLines.join('');
    expect(logs).toContain('request completed'); // the requests above were logged...
    expect(logs).not.toContain(PASSWORD); // ...without the secret, plain or in the header
    expect(logs).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
  });
});

describe('safeEqual', () => {
  it('is true only for equal strings, whatever the lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', 'x')).toBe(false);
  });
});
