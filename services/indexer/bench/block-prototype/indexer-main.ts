import { Producer, runDaemon, type QueueKey } from '@vaults/shared';
import { startIndexer } from '../../src/service';
import { BLOCK_QUEUES, BLOCK_QUEUE_SUFFIX, blockJobs, type BlockQueue, type EventInBlock } from './block-jobs';

// PROTOTYPE (bench only): the indexer unchanged, except that what it hands to an event queue
// (enqueue.ts: one addBulk per queue and chunk, removals included) goes to that queue's block
// twin as one job per block (block-jobs.ts). Needs ENQUEUE_CHUNK_SIZE >= MAX_LOGS_PER_RANGE, so
// that one addBulk holds every log of a range for its queue, hence whole blocks (a range is cut
// at block boundaries): the bench's run sets both. The snapshot queue is left as it is.

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

runDaemon('indexer', () => startIndexer());
