import { Producer, runDaemon, type QueueKey } from '@vaults/shared';
import { startIndexer } from '../../src/service';
import { StreamStore } from '../../src/store';
import { BLOCK_QUEUES, BLOCK_QUEUE_SUFFIX, blockJobs, type BlockQueue, type EventInBlock } from './block-jobs';
import { blockRows, logsOfRows } from './block-sent-logs';

// PROTOTYPE (bench only): the indexer unchanged (its read-ahead included), except that
//   - what it hands to an event queue (enqueue.ts: one addBulk per queue and chunk, removals
//     included) goes to that queue's block twin as one job per block (block-jobs.ts). Needs
//     ENQUEUE_CHUNK_SIZE >= MAX_LOGS_PER_RANGE, so that one addBulk holds every log of a range
//     for its queue, hence whole blocks (a range is cut at block boundaries): the bench's run sets
//     both. The snapshot queue is left as it is;
//   - what it records as sent is one row per block, read back as the block's logs
//     (block-sent-logs.ts), so removals are built as before.

const isBlockQueue = (key: QueueKey): key is BlockQueue => (BLOCK_QUEUES as readonly string[]).includes(key);
const blockProducers = new WeakMap<Producer, Producer>();
const eventQueue = Producer.prototype.queue;

Producer.prototype.queue = function (this: Producer, key: QueueKey) {
  if (!isBlockQueue(key)) return eventQueue.call(this, key);
  let blocks = blockProducers.get(this);
  if (!blocks) {
    // The same connection, prefix and suffix (private options, read once), queue names + '-blocks'.
    const o = (this as unknown as { opts: ConstructorParameters<typeof Producer>[0] }).opts;
    blockProducers.set(this, (blocks = new Producer({ ...o, queueSuffix: `${o.queueSuffix ?? ''}${BLOCK_QUEUE_SUFFIX}` })));
  }
  const queue = eventQueue.call(blocks, key);
  return Object.assign(Object.create(queue) as typeof queue, {
    addBulk: (jobs: EventInBlock[]) => queue.addBulk(blockJobs(key, jobs)),
  });
};

const recordSends = StreamStore.prototype.recordSends;
const sentLogsAfter = StreamStore.prototype.sentLogsAfter;
StreamStore.prototype.recordSends = function (this: StreamStore, logs) {
  return recordSends.call(this, blockRows(logs));
};
StreamStore.prototype.sentLogsAfter = async function (this: StreamStore, block) {
  return logsOfRows(await sentLogsAfter.call(this, block));
};

runDaemon('indexer', () => startIndexer());
