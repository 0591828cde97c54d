import { EVENT_JOB_RETENTION, type QueueKey } from '@vaults/shared';

// PROTOTYPE (bench only, not in the contract): one job per block and queue, carrying that
// block's decoded logs for the queue, instead of one job per log. What the indexer would send
// (grouped from the per-event jobs the contract's one door builds, so each log is validated as
// today) and what the block worker (block-worker.ts) takes. docs/BENCHMARK.md, "Backfill beside
// Ponder", has the measurements and the contract change it would need.

/** The queues that carry on-chain events, each with a block-job twin (suffix BLOCK_QUEUE_SUFFIX). */
export const BLOCK_QUEUES = ['vault', 'trade', 'follower'] as const satisfies readonly QueueKey[];
export type BlockQueue = (typeof BLOCK_QUEUES)[number];

/** Appended to an event queue's name: `trade-events` -> `trade-events-blocks`. */
export const BLOCK_QUEUE_SUFFIX = '-blocks';

export const BLOCK_JOB_NAMES: Record<BlockQueue, string> = { vault: 'VaultDeployedBlock', trade: 'TradeExecutedBlock', follower: 'FollowerEventsBlock' };

/** One log's job as the contract builds it (name and validated payload). */
export interface EventInBlock {
  name: string;
  data: Record<string, unknown>;
}

export interface BlockJobData {
  chainId: number;
  blockNumber: number;
  blockHash: string;
  /** A removal of the block (a re-organisation dropped it): every log in it has removed: true. */
  removed: boolean;
  /** The block's logs for this queue, in log order. */
  events: EventInBlock[];
}

export interface BlockJob {
  name: string;
  data: BlockJobData;
  opts: typeof EVENT_JOB_RETENTION & { jobId: string; attempts: number; backoff: { type: 'fixed'; delay: number } };
}

/**
 * The job id: one per (queue, chain, block hash, removed), so a re-delivery of the block (a
 * writer that crashed before its commit and reads the range again) is dropped by BullMQ while
 * the first is retained, and a removal does not share the original's id.
 */
export function blockJobId(queue: BlockQueue, d: Pick<BlockJobData, 'chainId' | 'blockHash' | 'removed'>): string {
  const base = `${BLOCK_JOB_NAMES[queue]}_${d.chainId}_${d.blockHash.toLowerCase()}`;
  return d.removed ? `${base}_removed` : base;
}

/** Retried on 'vault not known yet' (the block's deploy job not done) like RetryLaterError: fixed 100 ms. */
const RETRY = { attempts: 200, backoff: { type: 'fixed' as const, delay: 100 } };

/**
 * Groups one queue's event jobs (all of the range's, in order) into one job per block and
 * `removed`. Every log of a block must be in `jobs`: the indexer hands a whole range's jobs at once.
 */
export function blockJobs(queue: BlockQueue, jobs: readonly EventInBlock[]): BlockJob[] {
  const byBlock = new Map<string, BlockJobData>();
  for (const { name, data } of jobs) {
    const d = data as { chainId: number; blockNumber: number; blockHash: string; removed: boolean };
    const key = `${d.blockHash.toLowerCase()}_${d.removed}`;
    let block = byBlock.get(key);
    if (!block) byBlock.set(key, (block = { chainId: d.chainId, blockNumber: d.blockNumber, blockHash: d.blockHash, removed: d.removed, events: [] }));
    block.events.push({ name, data });
  }
  return [...byBlock.values()].map((data) => ({
    name: BLOCK_JOB_NAMES[queue],
    data,
    opts: { ...EVENT_JOB_RETENTION, jobId: blockJobId(queue, data), ...RETRY },
  }));
}
