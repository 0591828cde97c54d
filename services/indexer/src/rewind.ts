import { Producer, createDatabase, createLogger, createRedis } from '@vaults/shared';
import type { IndexerConfig } from './config';
import { enqueueAll } from './enqueue';
import { WriterLock } from './lock';
import { createIndexerMetrics } from './metrics';
import { createChainReader } from './rpc';
import { StreamStore } from './store';

// Recovery from a re-organisation deeper than REORG_WINDOW (docs/INDEXER.md): with the indexer
// stopped, retract every remembered sent log above `to` whose block is no longer on the chain,
// then put the cursor at `to`. The indexer, restarted, indexes the canonical branch from there.

export interface RewindResult {
  from: number;
  to: number;
  checkedLogs: number;
  removals: number;
}

export async function rewindStream(config: IndexerConfig, to: number, queueSuffix?: string): Promise<RewindResult> {
  const cfg = config.chain;
  const log = createLogger('indexer-rewind', config.logLevel);
  const metrics = createIndexerMetrics('indexer-rewind');
  const chain = createChainReader(cfg, metrics, log);
  const lock = new WriterLock(config.databaseUrl, `indexer:${cfg.factoryAddress}`);
  if (!(await lock.tryAcquire())) {
    throw new Error('another indexer holds the writer lock: stop (scale to 0) the indexer before rewinding');
  }
  const db = createDatabase(config.databaseUrl, 2);
  const redis = createRedis(config.redisUrl, 'fail-fast');
  const producer = new Producer({ connection: redis, prefix: config.queuePrefix, queueSuffix, readyTimeoutMs: 5000 });
  try {
    const chainId = await chain.chainId();
    const store = new StreamStore(db, `${chainId}:${cfg.factoryAddress}`);
    const state = await store.load(chainId, cfg.startBlock);
    if (to >= state.cursor) throw new Error(`the cursor is at ${state.cursor}: nothing to rewind to ${to}`);
    const sent = await store.sentLogsAfter(to);
    const numbers = [...new Set(sent.map((l) => l.blockNumber))];
    const onChain = new Map<number, string | null>();
    for (let i = 0; i < numbers.length; i += 100) {
      const slice = numbers.slice(i, i + 100);
      const blocks = await Promise.all(slice.map((n) => chain.block(n)));
      slice.forEach((n, j) => onChain.set(n, blocks[j]?.hash?.toLowerCase() ?? null));
    }
    const dropped = sent.filter((l) => onChain.get(l.blockNumber) !== l.blockHash.toLowerCase());
    await enqueueAll(producer, dropped.map((l) => ({ kind: l.kind, payload: { ...l.payload, removed: true } })), 200, metrics);
    const target = await chain.block(to);
    await store.rewind(to, target?.hash ?? null);
    log.warn({ from: state.cursor, to, checkedLogs: sent.length, removals: dropped.length }, 'rewound: restart the indexer');
    return { from: state.cursor, to, checkedLogs: sent.length, removals: dropped.length };
  } finally {
    await producer.close();
    await redis.quit().catch(() => redis.disconnect());
    await db.close();
    await lock.release();
  }
}
