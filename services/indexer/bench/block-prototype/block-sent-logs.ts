import type { SentLog } from '../../src/store';

// PROTOTYPE (bench only): one sent-log row per block instead of one per log. The indexer records
// what it is about to send (IndexerSentLog) so that a re-organisation can retract it; the
// prototype's indexer (indexer-main.ts) stores a block's logs of a range as ONE row, keyed like
// the block's first log (block hash, its log index), kind BLOCK_ROW_KIND, payload the block's
// logs as the product would have stored them one by one. Read back (sentLogsAfter), a block row
// becomes its logs again, in order, so a removal is built from the very payloads that were sent
// (enqueue.ts's removalJobs) and grouped into the block's removal job by block-jobs.ts like any
// other send. Only the indexer's own reads understand the row: the `rewind` CLI's paged reads
// (rewind-store.ts) do not, which a product change would have to follow.

/** The kind of a row holding a whole block's sent logs. */
export const BLOCK_ROW_KIND = 'Block';

type Logged = Pick<SentLog, 'txHash' | 'logIndex' | 'kind' | 'payload'>;

/** One row per block (the logs are in position order, as the indexer records them). */
export function blockRows(logs: readonly SentLog[]): SentLog[] {
  const rows: SentLog[] = [];
  let row: (SentLog & { payload: { logs: Logged[] } }) | undefined;
  for (const l of logs) {
    if (row?.blockHash !== l.blockHash) {
      row = { blockNumber: l.blockNumber, blockHash: l.blockHash, txHash: l.txHash, logIndex: l.logIndex, kind: BLOCK_ROW_KIND, payload: { logs: [] } };
      rows.push(row);
    }
    row.payload.logs.push({ txHash: l.txHash, logIndex: l.logIndex, kind: l.kind, payload: l.payload });
  }
  return rows;
}

/** Rows as read back (sentLogsAfter): a block row becomes its logs again; any other row stays as it is. */
export function logsOfRows(rows: readonly SentLog[]): SentLog[] {
  return rows.flatMap((r) =>
    r.kind === BLOCK_ROW_KIND
      ? (r.payload as { logs: Logged[] }).logs.map((l) => ({ ...l, blockNumber: r.blockNumber, blockHash: r.blockHash }))
      : [r],
  );
}
