import type { Redis } from './redis';

// One socket write for the Redis commands a worker sends in one run of the microtask queue.
//
// A committed batch resumes its jobs together (batcher.ts): each returns, and BullMQ sends its
// completion (a moveToFinished script call) on the worker's connection, all before the
// microtask queue runs dry. ioredis writes each command to the socket at once: a system call per
// job, each waking redis-server for one command (the no-op worker pays the same, one job at a
// time). Corked until the queue is drained (process.nextTick runs after it), the batch's
// completions leave in one writev and redis-server reads them in one go. Nothing waits for a
// later turn of the event loop: the writes go out in the same turn, after the code that made them.

/**
 * A function to call before a job completes: the first call of a run of the microtask queue
 * corks the connection's socket, and a process.nextTick uncorks it once the queue is drained.
 * A no-op for a Redis Cluster client (no one socket) or a connection that is not ready (ioredis
 * then queues commands itself).
 */
export function tickWrites(redis: Redis): () => void {
  let corked = false;
  const uncork = (stream: { uncork(): void }) => {
    corked = false;
    stream.uncork();
  };
  return () => {
    if (corked || !('stream' in redis) || redis.status !== 'ready') return;
    const stream = redis.stream;
    if (!stream?.writable) return;
    corked = true;
    stream.cork();
    process.nextTick(uncork, stream);
  };
}
