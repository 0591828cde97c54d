import { createServer } from 'node:http';
import {
  Producer,
  RetryLaterError,
  SnapshotRequests,
  WorkerLanes,
  createDatabase,
  createLogger,
  createRedis,
  isCluster,
  loadConfig,
  parsePayload,
  queueName,
  queuePrefix,
  recordDeploy,
  recordFollowerEvents,
  recordTrades,
  runDaemon,
  type FollowerEvent,
  type Outcome,
  type RecordOutcome,
  type TradeExecuted,
  type Tx,
  type VaultDeployed,
} from '@vaults/shared';
import { BLOCK_QUEUES, BLOCK_QUEUE_SUFFIX, type BlockJobData, type BlockQueue } from './block-jobs';

// PROTOTYPE (bench only): the worker of the block jobs (block-jobs.ts), one process for the
// three block queues. A job's logs go through the product's use cases, unchanged, in ONE
// transaction: recordDeploy for each deploy, recordTrades / recordFollowerEvents on the whole
// block (the batch a trade worker's Batcher would have gathered from concurrent jobs). A trade
// or follower event of a vault not deployed yet rolls the block back and retries it (BullMQ's
// attempts and fixed back-off, as RetryLaterError does today); a conflicting copy fails the
// block. After the commit, the snapshots of the block's vaults are requested as the pipeline
// does (SnapshotRequests), for the real snapshot worker. BLOCK_CONCURRENCY jobs per queue.

const write: Record<Exclude<BlockQueue, 'vault'>, (tx: Tx, events: never[]) => Promise<Outcome<RecordOutcome>[]>> = {
  trade: (tx, events: TradeExecuted[]) => recordTrades(tx, events),
  follower: (tx, events: FollowerEvent[]) => recordFollowerEvents(tx, events),
};

async function start() {
  const concurrency = Number(process.env.BLOCK_CONCURRENCY ?? 4);
  const config = loadConfig(process.env, { concurrency, metricsPort: 0 });
  const log = createLogger('block-worker', config.logLevel);
  const db = createDatabase(config.databaseUrl, config.dbPoolSize, { log });
  const producer = new Producer({ connection: createRedis(config.redisUrl, 'wait'), prefix: config.queuePrefix, failFast: false });
  const snapshots = new SnapshotRequests(producer);
  const workerRedis = createRedis(config.redisUrl, 'wait');

  const lanes = BLOCK_QUEUES.map((key) => {
    const name = queueName(key, BLOCK_QUEUE_SUFFIX);
    const lane = new WorkerLanes(
      name,
      async (job) => {
        const block = job.data as BlockJobData;
        const events = block.events.map((e) => {
          const parsed = parsePayload(key, e.name, e.data);
          if (!parsed.ok) throw new Error(`block ${block.blockHash}: ${parsed.reason}`);
          return parsed.data;
        });
        if (key === 'vault') {
          await db.transaction(async (tx) => {
            for (const d of events) await recordDeploy(tx, d as VaultDeployed);
          });
          return;
        }
        await db.transaction(async (tx) => {
          const outcomes = await write[key](tx, events as never[]);
          for (const o of outcomes) if (!o.ok) throw o.error;
          if (outcomes.some((o) => o.ok && o.value === 'vault-unknown')) throw new RetryLaterError(`block ${block.blockHash}: a vault is not known yet`);
        });
        const vaults = new Set(events.map((e) => (e as { vaultAddress: string }).vaultAddress));
        await Promise.all([...vaults].map((v) => snapshots.request(block.chainId, v)));
      },
      { connection: workerRedis, prefix: queuePrefix(config.queuePrefix, name, isCluster(workerRedis)), concurrency },
    );
    lane.onError((err) => log.warn({ err }, 'worker error'));
    return lane;
  });
  await Promise.all(lanes.map((l) => l.waitUntilReady()));

  // Readiness for the bench's Stack (GET /readyz), nothing else.
  const server = createServer((_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((resolve) => server.listen(config.metricsPort, config.metricsHost, resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : config.metricsPort,
    async close() {
      await Promise.all(lanes.map((l) => l.close()));
      await new Promise((resolve) => server.close(resolve));
      await producer.close();
      await db.close();
    },
  };
}

runDaemon('block-worker', start);
