import { connectProducer, createDatabase, createLogger, createSidecar, redactUrl, redactedMessage } from '@vaults/shared';
import { assertChainBinding, streamIdOf } from './chain-binding';
import { loadIndexerConfig, type IndexerConfig } from './config';
import { contractMapping } from './events';
import { Indexer } from './indexer';
import { WriterLock } from './lock';
import { monitorLoopDelay } from './loop-delay';
import { createIndexerMetrics, type IndexerMetrics } from './metrics';
import { createChainReader } from './rpc';
import { FencedError, StreamStore } from './store';
import { Wakeup } from './wakeup';

// Wiring: config, connections, the sidecar, and the leader loop (standby until the writer lock
// is ours, then tick until stopped or the lock is lost).

export interface IndexerStartOptions {
  env?: NodeJS.ProcessEnv;
  /** Appended to queue names: tests and benchmarks get queues of their own. */
  queueSuffix?: string;
}

export interface RunningIndexer {
  config: IndexerConfig;
  metrics: IndexerMetrics;
  sidecar: ReturnType<typeof createSidecar>;
  port: number;
  /** The current role and position, for tests and logs. */
  status(): { leader: boolean; cursor: number | null; deepReorg: boolean };
  close(): Promise<void>;
}

export async function startIndexer(opts: IndexerStartOptions = {}): Promise<RunningIndexer> {
  const config = loadIndexerConfig(opts.env ?? process.env);
  const cfg = config.chain;
  const log = createLogger('indexer', config.logLevel);
  const metrics = createIndexerMetrics();
  const loopDelay = monitorLoopDelay(metrics.registry);
  const db = createDatabase(config.databaseUrl, 3, { log });
  const queues = connectProducer({ redisUrl: config.redisUrl, queuePrefix: config.queuePrefix, queueSuffix: opts.queueSuffix, profile: 'fail-fast', log });
  const { redis, producer } = queues;
  const chain = createChainReader(cfg, metrics, log);

  let stopping = false;
  let indexer: Indexer | null = null;
  let leader = false;
  let lastTickError: string | null = null;
  const wake = new Wakeup();

  const sidecar = createSidecar({
    registry: metrics.registry,
    isAlive: () => !loopEnded,
    checks: {
      redis: async () => void (await redis.ping()),
      database: () => db.ping(),
      // The last tick's error (the node, Redis or Postgres failing after retries), until one succeeds.
      indexing: async () => {
        if (lastTickError) throw new Error(lastTickError);
      },
      // Ticks in a row that made no progress (stall.ts): the reason, while it lasts.
      progress: async () => {
        const problem = indexer?.stall.problem;
        if (problem) throw new Error(problem);
      },
      reorg: async () => {
        const deep = indexer?.deepReorg;
        if (deep) throw new Error(`re-organisation deeper than REORG_WINDOW (${cfg.reorgWindow}) below block ${deep.oldestKnown}: indexing halted`);
      },
      shutdown: async () => {
        if (stopping) throw new Error('shutting down');
      },
    },
  });
  await sidecar.listen({ port: config.metricsPort, host: config.metricsHost });
  const address = sidecar.server.address();
  const port = typeof address === 'object' && address ? address.port : config.metricsPort;

  async function lead(lock: WriterLock): Promise<void> {
    indexer = null;
    const chainId = await chain.chainId();
    await assertChainBinding(db, cfg, chainId);
    const store = new StreamStore(db, streamIdOf(chainId, cfg.factoryAddress));
    // Published once initialised: status() reads its cursor.
    const started = new Indexer({ cfg, chainId, chain, store, producer, mapping: contractMapping, metrics, log });
    await started.init();
    indexer = started;
    let lost: Error | null = null;
    void lock.lost.then((err) => {
      lost = err;
      wake.now();
    });
    let failures = 0;
    while (!stopping && !lost) {
      let more = false;
      try {
        await lock.check();
        more = await indexer.tick();
        lastTickError = null;
        failures = 0;
      } catch (err) {
        if (err instanceof FencedError) {
          // Another writer took the stream: stop at once, never retry a write.
          metrics.fenced.inc();
          throw err;
        }
        if (lost) break;
        failures++;
        lastTickError = redactedMessage(err);
        log.warn({ err: lastTickError, failures }, 'tick failed; retrying');
      }
      // Back off with failed ticks and with ticks that made no progress (stall.ts).
      if (!more) await wake.sleep(Math.min(cfg.pollIntervalMs * 2 ** Math.min(failures + indexer.stall.ticks, 5), 60_000));
    }
    if (lost) throw new Error(`lost the writer lock: ${(lost as Error).message}`);
  }

  let loopEnded = false;
  const loop = (async () => {
    while (!stopping) {
      // Keyed by the factory (the chain id is only known once connected): one writer per factory
      // per database (advisory locks are per database).
      // A session lock: on the direct URL (a transaction pooler would hand the session to others).
      // A silent lock connection is given up (and ended by Postgres) after 5 lock polls, 3 s at least.
      const lock = new WriterLock(config.directDatabaseUrl, `indexer:${cfg.factoryAddress}`, Math.max(5 * cfg.lockRetryMs, 3000));
      const got = await lock.tryAcquire().catch((err: Error) => {
        log.warn({ err }, 'could not ask for the writer lock');
        return false;
      });
      if (!got) {
        await wake.sleep(cfg.lockRetryMs);
        continue;
      }
      leader = true;
      metrics.leader.set(1);
      log.info({ factory: cfg.factoryAddress, rpc: cfg.rpcUrls.map(redactUrl) }, 'writer lock taken: indexing');
      try {
        await lead(lock);
      } catch (err) {
        lastTickError = redactedMessage(err);
        log.error({ err: lastTickError }, 'indexing stopped; back to standby');
        await wake.sleep(cfg.lockRetryMs);
      } finally {
        leader = false;
        metrics.leader.set(0);
        await lock.release();
      }
    }
  })().finally(() => (loopEnded = true));
  log.info({ port, factory: cfg.factoryAddress, startBlock: cfg.startBlock, confirmations: cfg.confirmations }, 'indexer started (standby until the writer lock is taken)');

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      stopping = true;
      wake.now();
      log.info('shutting down: finishing the current range');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise((r) => (timer = setTimeout(r, config.shutdownTimeoutMs)))]);
      clearTimeout(timer);
      await queues.close();
      await sidecar.close();
      await db.close();
      loopDelay.stop();
      log.info('stopped');
    })());

  return {
    config,
    metrics,
    sidecar,
    port,
    status: () => ({ leader, cursor: leader && indexer ? indexer.cursor : null, deepReorg: !!indexer?.deepReorg }),
    close,
  };
}
