import { QUEUES } from '@vaults/shared';
import { QUEUE_KEYS, type OpsContext } from './context';
import { failedJobs } from './failed-jobs';
import { FAILED_JOB_REASONS, type FailedJobReason } from './failure-reason';
import { rpcHead } from './rpc';

// vaults-ops status: where the indexer stands (each stream's cursor; the node's head and the lag
// when RPC_URL is set) and each queue's counts, the failed ones by reason.

export interface StreamStatus {
  streamId: string;
  chainId: number;
  cursor: number;
  updatedAt: string;
  head?: number;
  lag?: number;
}

export interface QueueStatus {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  prioritized: number;
  failed: number;
  failedByReason: Record<FailedJobReason, number>;
}

export interface Status {
  streams: StreamStatus[];
  headError?: string;
  queues: QueueStatus[];
}

export async function status(ctx: OpsContext): Promise<Status> {
  const streams = await ctx.db.sql.query<{ streamId: string; chainId: string; blockNumber: string; updatedAt: Date }>`
    SELECT "streamId", "chainId"::text AS "chainId", "blockNumber"::text AS "blockNumber", "updatedAt" FROM "IndexerCursor" ORDER BY "streamId"`;
  const result: Status = {
    streams: streams.map((s) => ({ streamId: s.streamId, chainId: Number(s.chainId), cursor: Number(s.blockNumber), updatedAt: s.updatedAt.toISOString() })),
    queues: [],
  };
  if (ctx.env.RPC_URL) {
    try {
      const head = await rpcHead(ctx.env.RPC_URL);
      for (const s of result.streams) Object.assign(s, { head, lag: head - s.cursor });
    } catch (err) {
      result.headError = (err as Error).message.split('\n')[0];
    }
  }
  for (const key of QUEUE_KEYS) {
    const queue = ctx.producer.queue(key);
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
    const failedByReason = Object.fromEntries(FAILED_JOB_REASONS.map((r) => [r, 0])) as Record<FailedJobReason, number>;
    if (counts.failed) for await (const { reason } of failedJobs(queue)) failedByReason[reason]++;
    result.queues.push({
      queue: QUEUES[key].name,
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      prioritized: counts.prioritized ?? 0,
      failed: counts.failed ?? 0,
      failedByReason,
    });
  }
  return result;
}

export function printStatus(s: Status, print: (line: string) => void, queuePrefix: string): void {
  print('indexer');
  if (!s.streams.length) print('  no stream yet (the indexer has not run against this database)');
  for (const st of s.streams) {
    const head = st.head === undefined ? (s.headError ? `  head unknown (${s.headError})` : '  (set RPC_URL for the head and lag)') : `  head ${st.head}  lag ${st.lag} blocks`;
    print(`  ${st.streamId}  chain ${st.chainId}  cursor ${st.cursor} (updated ${st.updatedAt})${head}`);
  }
  print(`queues (prefix ${queuePrefix})`);
  const width = Math.max(...s.queues.map((q) => q.queue.length));
  for (const q of s.queues) {
    const reasons = Object.entries(q.failedByReason).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ');
    print(`  ${q.queue.padEnd(width)}  waiting ${q.waiting}  active ${q.active}  delayed ${q.delayed}  prioritized ${q.prioritized}  failed ${q.failed}${reasons ? ` (${reasons})` : ''}`);
  }
  const sum = (k: 'waiting' | 'active' | 'delayed' | 'failed') => s.queues.reduce((n, q) => n + q[k], 0);
  print(`summary: ${s.streams.length} indexer stream(s); ${sum('waiting')} waiting, ${sum('active')} active, ${sum('delayed')} delayed, ${sum('failed')} failed`);
}
