import { comparePositions, eventJobId, identityKey, retryDelayMs, snapshotDedupId, redactUrl } from '../src';

const e = { chainId: 1, blockHash: '0x' + 'AB'.repeat(32), txHash: '0x' + 'CD'.repeat(32), logIndex: 7 };

describe('identity and job ids', () => {
  it('keys an event by (chainId, lower-case blockHash, logIndex)', () => {
    expect(identityKey(e)).toBe(`1:0x${'ab'.repeat(32)}:7`);
  });

  it('tells apart copies of one transaction in two blocks, and nothing else (contract version 2)', () => {
    const sibling = { ...e, blockHash: '0x' + 'EF'.repeat(32) };
    expect(identityKey(sibling)).not.toBe(identityKey(e));
    expect(eventJobId('TradeExecuted', sibling)).not.toBe(eventJobId('TradeExecuted', e));
    const otherTx: typeof e = { ...e, txHash: '0x' + '01'.repeat(32) };
    expect(identityKey(otherTx)).toBe(identityKey(e));
  });

  it('gives a removal a job id of its own, and no job id contains ":"', () => {
    const live = eventJobId('TradeExecuted', e);
    const removed = eventJobId('TradeExecuted', { ...e, removed: true });
    expect(live).not.toBe(removed);
    expect(live).not.toContain(':');
    expect(removed).not.toContain(':');
    expect(eventJobId('TradeExecuted', { ...e, blockHash: e.blockHash.toLowerCase() })).toBe(live);
    expect(snapshotDedupId(1, '0xABC')).toBe('snapshot_1_0xabc');
  });

  it('orders positions by block, then log index, as integers', () => {
    expect(comparePositions({ blockNumber: 2, logIndex: 0 }, { blockNumber: 10, logIndex: 0 })).toBe(-1);
    expect(comparePositions({ blockNumber: 10, logIndex: 9 }, { blockNumber: 10, logIndex: 10 })).toBe(-1);
    expect(comparePositions({ blockNumber: 10n, logIndex: 3 }, { blockNumber: 10, logIndex: 3n })).toBe(0);
    expect(comparePositions({ blockNumber: 11, logIndex: 0 }, { blockNumber: 10, logIndex: 99 })).toBe(1);
  });
});

describe('retry back-off', () => {
  const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
  it('doubles per attempt, between half and all of the step, capped', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(50);
    expect(retryDelayMs(1, policy, () => 1)).toBe(100);
    expect(retryDelayMs(3, policy, () => 1)).toBe(400);
    expect(retryDelayMs(20, policy, () => 1)).toBe(1000);
    expect(retryDelayMs(20, policy, () => 0)).toBe(500);
  });
});

describe('redactUrl', () => {
  it('hides passwords and keeps the rest', () => {
    expect(redactUrl('redis://user:s3cret@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactUrl('postgresql://postgres@127.0.0.1:5432/x')).toBe('postgresql://postgres@127.0.0.1:5432/x');
    expect(redactUrl('not a url')).not.toContain('not a url');
  });
});
