import { loadIndexerConfig, rewindStream } from '@vaults/indexer';
import { iso, lastBlockBefore, parseTime, type HeaderSource } from './block-at-time';
import type { OpsContext } from './context';
import { rpcHeaders } from './rpc';

// vaults-ops rewind: put the indexer's cursor back (to a block, or to the last block mined before
// a time) so that it indexes and sends everything after it again; the workers absorb the copies
// (effects are keyed by the event identity). The work is the indexer's own rewindStream: it
// refuses while an indexer holds the writer lock (this command stops nothing: scale the indexer
// to 0 first), retracts sent logs whose block left the chain, and moves the cursor. It runs on the
// direct URL (DIRECT_DATABASE_URL), as the writer lock is a session lock.

export interface RewindOptions {
  block?: number;
  time?: string;
  dryRun: boolean;
  /** Tests: headers from elsewhere than RPC_URL. */
  headers?: HeaderSource;
  queueSuffix?: string;
}

export interface RewindPlan {
  to: number;
  cursors: { streamId: string; cursor: number }[];
}

export async function rewind(ctx: OpsContext, opts: RewindOptions) {
  const config = loadIndexerConfig(ctx.env);
  let to: number;
  if (opts.time !== undefined) {
    const time = parseTime(opts.time);
    const found = await lastBlockBefore(opts.headers ?? rpcHeaders(config.chain.rpcUrl), time, Math.max(0, config.chain.startBlock - 1));
    ctx.print(`the last block before ${iso(time)} is ${found.block} (mined ${iso(found.timestamp)}; ${found.reads} headers read)`);
    to = found.block;
  } else {
    to = opts.block!;
  }
  const cursors = await ctx.db.sql.query<{ streamId: string; blockNumber: string }>`
    SELECT "streamId", "blockNumber"::text AS "blockNumber" FROM "IndexerCursor" ORDER BY "streamId"`;
  for (const c of cursors) ctx.print(`  stream ${c.streamId}: cursor at ${c.blockNumber}`);
  if (opts.dryRun) {
    ctx.print(`summary: dry run, nothing changed: would rewind to block ${to} (refused at run time while an indexer holds the writer lock)`);
    return { to, dryRun: true as const };
  }
  const result = await rewindStream({ ...config, databaseUrl: config.directDatabaseUrl }, to, opts.queueSuffix);
  ctx.print(`summary: rewound from ${result.from} to ${result.to}: ${result.checkedLogs} sent log(s) checked, ${result.removals} removal(s) enqueued; start the indexer again`);
  return { ...result, dryRun: false as const };
}
