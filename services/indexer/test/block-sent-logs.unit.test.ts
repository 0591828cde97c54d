import { follower, trade, type AnyEvent } from '@vaults/testkit';
import { BLOCK_ROW_KIND, blockRows, logsOfRows } from '../bench/block-prototype/block-sent-logs';
import { removalJobs } from '../src/enqueue';
import type { SentLog } from '../src/store';

// The per-block prototype's sent-log rows (bench only): one row per block, read back as the
// block's logs, so that a re-organisation's removals are the same jobs as with one row per log.

const KIND = { deploy: 'VaultDeployed', trade: 'TradeExecuted', follower: 'FollowerSubscribed' } as const;
const sent = (e: AnyEvent): SentLog => {
  const { type, ...payload } = e;
  return { blockNumber: e.blockNumber, blockHash: e.blockHash, txHash: e.txHash, logIndex: e.logIndex, kind: KIND[type], payload };
};
/** What the store gives back: the payload through JSON, the row's block hash merged in (store.ts sentLogsAfter). */
const stored = (rows: SentLog[]) => rows.map((r) => ({ ...r, payload: { blockHash: r.blockHash, ...(JSON.parse(JSON.stringify(r.payload)) as Record<string, unknown>) } }));

describe('blockRows / logsOfRows', () => {
  const logs = [
    trade(1, 5n, { blockNumber: 7, logIndex: 0 }),
    follower(1, 2, 'DEPOSIT', 10n, { blockNumber: 7, logIndex: 4 }),
    trade(2, -1n, { blockNumber: 8, logIndex: 1 }),
  ].map(sent);

  it('stores one row per block, keyed by its first log', () => {
    const rows = blockRows(logs);
    expect(rows.map((r) => [r.kind, r.blockNumber, r.logIndex])).toEqual([
      [BLOCK_ROW_KIND, 7, 0],
      [BLOCK_ROW_KIND, 8, 1],
    ]);
  });

  it('reads the rows back as the logs that were sent, so the removals are the same jobs', async () => {
    const back = logsOfRows(stored(blockRows(logs)));
    expect(back).toEqual(stored(logs));
    expect(await removalJobs(back)).toEqual(await removalJobs(stored(logs)));
  });
});
