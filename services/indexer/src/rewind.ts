import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { connectProducer, createDatabase, createLogger, type Logger } from '@vaults/shared';
import { assertChainBinding, streamIdOf } from './chain-binding';
import type { IndexerConfig } from './config';
import { enqueueRemovals } from './enqueue';
import { WriterLock } from './lock';
import { createIndexerMetrics } from './metrics';
import { RewindReader, type SentRow, type StoredHash } from './rewind-store';
import { createChainReader, type ChainReader } from './rpc';
import { StreamStore } from './store';

// Recovery from a re-organisation deeper than REORG_WINDOW, or from a Redis that lost jobs
// (docs/INDEXER.md): with no indexer running, retract every remembered sent log above `to` whose
// block is no longer on the chain, then put the cursor at `to`. The indexer, restarted, indexes
// the canonical branch from there.
//
// It trusts nothing it cannot check. It refuses, changing nothing:
// - a node behind the stored cursor (a lagging replica, or a new branch still shorter than the
//   old one): a block that node has not seen yet is not a dropped block;
// - a target `to` it cannot show to be on the node's chain: the lowest block hash it stored at or
//   above `to` must be the node's hash at that height (then `to`, its ancestor, is on both
//   branches). Otherwise the fork may be below `to`, and blocks of the new branch between the fork
//   and `to` would never be indexed; it names the highest stored block the node does have.
// Sent logs are read and checked in pages (RewindOptions.pageSize), so a long retention is
// bounded in memory, and the event loop is served between pages.

export interface RewindOptions {
  /** Check and count, send nothing, move nothing. */
  dryRun?: boolean;
  /** Sent logs read, checked and retracted per page (default 2000). */
  pageSize?: number;
  /** Appended to queue names (tests). */
  queueSuffix?: string;
  /** Where progress and the result are logged (default: a logger named indexer-rewind). */
  log?: Logger;
}

export interface RewindResult {
  /** The cursor before. */
  from: number;
  /** The cursor after (unchanged on a dry run). */
  to: number;
  /** Sent logs above `to` that were checked against the chain. */
  checkedLogs: number;
  /** Of those, the ones whose block is gone: retracted (or, on a dry run, to be retracted). */
  removals: number;
  pages: number;
  dryRun: boolean;
}

/** A rewind the node's answers do not allow; nothing was sent or moved. */
export class RewindRefusedError extends Error {
  override readonly name = 'RewindRefusedError';
  constructor(
    message: string,
    /** The highest block a rewind can go to instead, when one is known. */
    readonly suggestion: number | null = null,
  ) {
    super(message);
  }
}

const HEADER_CONCURRENCY = 100;

/**
 * Rewinds the indexer's stream to block `to` (see the module comment). Callable without a running
 * indexer, from any process with the indexer's environment: it takes the writer lock itself and
 * refuses while an indexer holds it. Throws RewindRefusedError when the checks fail. The third
 * argument may also be the queue suffix alone (a string), as before RewindOptions.
 */
export async function rewindStream(config: IndexerConfig, to: number, options: RewindOptions | string = {}): Promise<RewindResult> {
  // A string is the queue suffix alone (the signature before RewindOptions; services/ops calls it so).
  const opts: RewindOptions = typeof options === 'string' ? { queueSuffix: options } : options;
  const cfg = config.chain;
  const log = opts.log ?? createLogger('indexer-rewind', config.logLevel);
  const metrics = createIndexerMetrics('indexer-rewind');
  const chain = createChainReader(cfg, metrics, log);
  // A session lock: on the direct URL, as the indexer takes it (a transaction pooler would share the session).
  const lock = new WriterLock(config.directDatabaseUrl, `indexer:${cfg.factoryAddress}`);
  if (!(await lock.tryAcquire())) {
    throw new RewindRefusedError('another indexer holds the writer lock: stop (scale to 0) the indexer before rewinding');
  }
  const db = createDatabase(config.databaseUrl, 2);
  const queues = connectProducer({ redisUrl: config.redisUrl, queuePrefix: config.queuePrefix, queueSuffix: opts.queueSuffix, profile: 'fail-fast', log });
  const { producer } = queues;
  try {
    const chainId = await chain.chainId();
    await assertChainBinding(db, cfg, chainId);
    const streamId = streamIdOf(chainId, cfg.factoryAddress);
    const store = new StreamStore(db, streamId);
    const reader = new RewindReader(db, streamId);
    const state = await store.load(chainId, cfg.startBlock);
    if (to >= state.cursor) throw new RewindRefusedError(`the cursor is at ${state.cursor}: nothing to rewind to ${to}`);
    const head = await chain.blockNumber();
    if (head < state.cursor) {
      throw new RewindRefusedError(
        `the node's head is ${head}, below the stored cursor ${state.cursor}: it is behind (a lagging replica, or a new branch ` +
          `still shorter than the old one), and a block it has not seen is not a dropped block. Nothing was changed. ` +
          `Point RPC_URL at an up-to-date node, or wait until this one passes block ${state.cursor}, then run rewind again.`,
      );
    }
    await checkTarget(chain, reader, to);

    const stats = { checkedLogs: 0, removals: 0, pages: 0 };
    const pageSize = Math.max(1, opts.pageSize ?? 2000);
    const hashes = new Map<number, string>(); // the node's hashes of the current page's blocks
    for (let after: SentRow | null = null; ; ) {
      const page = await reader.sentLogsPage(to, after, pageSize);
      if (!page.length) break;
      stats.pages++;
      await fetchHashes(chain, hashes, [...new Set(page.map((l) => l.blockNumber))]);
      const dropped = page.filter((l) => hashes.get(l.blockNumber) !== l.blockHash.toLowerCase());
      if (!opts.dryRun && dropped.length) {
        await enqueueRemovals(producer, dropped, config.chain.enqueueChunkSize, metrics);
      }
      stats.checkedLogs += page.length;
      stats.removals += dropped.length;
      after = page.at(-1)!;
      for (const n of hashes.keys()) if (n < after.blockNumber) hashes.delete(n); // keep only what the next page may share
      await yieldToEventLoop();
    }
    if (!opts.dryRun) {
      const target = await chain.block(to);
      await store.rewind(to, target?.hash ?? null);
    }
    const result = { from: state.cursor, to: opts.dryRun ? state.cursor : to, ...stats, dryRun: !!opts.dryRun };
    log.warn({ ...result, target: to }, opts.dryRun ? 'rewind dry run: nothing sent, nothing moved' : 'rewound: restart the indexer');
    return result;
  } finally {
    await queues.close();
    await db.close();
    await lock.release();
  }
}

/** The node's hashes of `numbers` into `hashes`; a block the node does not have refuses the rewind. */
async function fetchHashes(chain: ChainReader, hashes: Map<number, string>, numbers: number[]): Promise<void> {
  const missing = numbers.filter((n) => !hashes.has(n));
  for (let i = 0; i < missing.length; i += HEADER_CONCURRENCY) {
    const slice = missing.slice(i, i + HEADER_CONCURRENCY);
    const blocks = await Promise.all(slice.map((n) => chain.block(n)));
    slice.forEach((n, j) => {
      const hash = blocks[j]?.hash;
      if (!hash) {
        throw new RewindRefusedError(
          `the node has no block ${n} although its head was above it (it moved back while rewinding): removals may have been sent ` +
            `for this run's earlier pages, which is safe; the cursor did not move. Run rewind again once the node is stable.`,
        );
      }
      hashes.set(n, hash.toLowerCase());
    });
  }
}

const onChain = async (chain: ChainReader, b: StoredHash) => (await chain.block(b.number))?.hash?.toLowerCase() === b.hash.toLowerCase();

/** Refuses a target not shown to be on the node's chain (see the module comment), naming one that is. */
async function checkTarget(chain: ChainReader, reader: RewindReader, to: number): Promise<void> {
  const evidence = await reader.lowestAtOrAbove(to);
  if (evidence && (await onChain(chain, evidence))) return;
  const suggestion = await highestOnChain(chain, reader, to);
  const why = evidence
    ? `the indexer stored hash ${evidence.hash} for block ${evidence.number} and the node has another there`
    : 'no block hash is stored at or above it';
  throw new RewindRefusedError(
    `block ${to} is not on the node's chain with the hash the indexer stored (or cannot be shown to be): ${why}, so the ` +
      `branches split below block ${evidence?.number ?? to}. Nothing was changed. ` +
      (suggestion !== null
        ? `rewind to ${suggestion} (the highest block whose stored hash the node has) or lower.`
        : `No stored block at or below ${to} is on the node's chain: the re-organisation is deeper than the sent logs kept ` +
          `(SENT_LOG_RETENTION), or the node is on another branch; check the node, or re-index into a new database from START_BLOCK.`),
    suggestion,
  );
}

/**
 * The highest stored block at or below `to` whose hash the node has: a binary search over heights
 * (a stored hash on the chain means every stored block below it is too), O(log) queries and calls.
 */
async function highestOnChain(chain: ChainReader, reader: RewindReader, to: number): Promise<number | null> {
  let best: number | null = null;
  let lo = 0;
  let hi = to;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const candidate = await reader.highestAtOrBelow(mid);
    if (!candidate || candidate.number < lo) {
      lo = mid + 1; // nothing stored in [lo, mid]
      continue;
    }
    if (await onChain(chain, candidate)) {
      best = candidate.number;
      lo = mid + 1;
    } else {
      hi = candidate.number - 1;
    }
  }
  return best;
}
