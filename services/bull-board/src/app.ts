import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import basicAuth from '@fastify/basic-auth';
import { Queue } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { QUEUES, createLogger, createRedis, isCluster, queueName, queuePrefix, type Logger, type QueueKey } from '@vaults/shared';
import type { BoardConfig } from './config';

export interface BoardAppOptions {
  config: BoardConfig;
  logger: Logger;
  /** Appended to queue names, as the runner's StartOptions do: tests get queues of their own. */
  queueSuffix?: string;
}

/** The workers' logger; the Authorization header and the credentials are never written either. */
export function createBoardLogger(level: string, destination?: DestinationStream): Logger {
  return createLogger('bull-board', level, { redact: ['req.headers.authorization', 'credentials', '*.credentials'], destination });
}

/**
 * Equal-length digests compared with timingSafeEqual: the time taken says nothing about how much
 * of a guess was right, nor about the expected value's length.
 */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The board over the four queues, behind basic auth; /healthz stays open for probes. */
export async function buildBoardApp(opts: BoardAppOptions): Promise<FastifyInstance> {
  const { config, logger } = opts;
  const app: FastifyInstance = Fastify({ loggerInstance: logger as FastifyBaseLogger });

  const connection = createRedis(config.redisUrl, 'fail-fast');
  connection.on('error', (err: Error) => logger.warn({ err }, 'redis connection error'));
  const queues = (Object.keys(QUEUES) as QueueKey[]).map(
    (key) => {
      const name = queueName(key, opts.queueSuffix);
      return new Queue(name, { connection, prefix: queuePrefix(config.queuePrefix, name, isCluster(connection)) });
    },
  );
  app.addHook('onClose', async () => {
    await Promise.all(queues.map((q) => q.close()));
    await connection.quit().catch(() => connection.disconnect());
  });

  // Probes hit it every few seconds: log only its failures.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  // The board lives in its own encapsulated context, so the auth hook covers it and not /healthz.
  await app.register(async (scope) => {
    const credentials = config.credentials;
    if (credentials) {
      await scope.register(basicAuth, {
        authenticate: { realm: 'Bull Board' },
        async validate(user, password) {
          // Both comparisons always run (bitwise &, not &&): a wrong user costs the same time.
          const ok = Number(safeEqual(user, credentials.user)) & Number(safeEqual(password, credentials.password));
          if (!ok) throw new Error('Unauthorized');
        },
      });
      scope.addHook('onRequest', scope.basicAuth);
    }
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath('/');
    createBullBoard({
      queues: queues.map((q) => new BullMQAdapter(q)),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'Vault queues' } },
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: '/' });
  });

  return app;
}
