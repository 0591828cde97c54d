import { InvalidPayloadError, Producer, RedisUnavailableError, createRedis, eventJobId, type TradeExecutedInput } from '../src';

// The indexer's side: validation before Redis, ids from identities, fast failure without Redis.

const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const suffix = `-producer-${Date.now().toString(36)}`;
const trade: TradeExecutedInput = {
  chainId: 1, txHash: '0x' + 'Ab'.repeat(32), logIndex: 4, blockNumber: 9, blockHash: '0x' + 'Cd'.repeat(32), blockTimestamp: 1_700_000_000,
  vaultAddress: '0x' + '1'.repeat(40), tokenIn: '0x' + '2'.repeat(40), tokenOut: '0x' + '3'.repeat(40),
  amountIn: '1', amountOut: '1', pnl: '0',
};

describe('Producer', () => {
  const redis = createRedis(REDIS, 'fail-fast');
  const producer = new Producer({ connection: redis, queueSuffix: suffix });

  afterAll(async () => {
    await producer.queue('trade').obliterate({ force: true });
    await producer.close();
    redis.disconnect();
  });

  it('refuses an invalid payload before it reaches Redis, naming the field', async () => {
    await expect(producer.tradeExecuted({ ...trade, pnl: 'lots' })).rejects.toThrow(InvalidPayloadError);
    await expect(producer.tradeExecuted({ ...trade, pnl: 'lots' })).rejects.toThrow(/pnl/);
    expect(await producer.queue('trade').getJobCountByTypes('waiting')).toBe(0);
  });

  it('queues an event once per identity, a removal under an id of its own, normalised', async () => {
    const a = await producer.tradeExecuted(trade);
    const b = await producer.tradeExecuted({ ...trade, blockHash: trade.blockHash.toLowerCase() });
    const r = await producer.tradeExecuted({ ...trade, removed: true });
    expect(a.id).toBe(eventJobId('TradeExecuted', { chainId: 1, blockHash: trade.blockHash, logIndex: 4 }));
    expect(b.id).toBe(a.id);
    expect(r.id).not.toBe(a.id);
    expect(await producer.queue('trade').getJobCountByTypes('waiting')).toBe(2);
    // The same transaction re-included in a sibling block is another event: a job of its own.
    const sibling = await producer.tradeExecuted({ ...trade, blockHash: '0x' + 'ef'.repeat(32) });
    expect(sibling.id).not.toBe(a.id);
    expect(await producer.queue('trade').getJobCountByTypes('waiting')).toBe(3);
    expect(a.data).toMatchObject({ txHash: trade.txHash.toLowerCase(), removed: false });
  });

  it('fails at once, with a clear error, when Redis cannot be reached', async () => {
    const dead = createRedis('redis://127.0.0.1:1', 'fail-fast');
    dead.on('error', () => undefined);
    const lonely = new Producer({ connection: dead, readyTimeoutMs: 200, onError: () => undefined });
    await expect(lonely.tradeExecuted(trade)).rejects.toThrow(RedisUnavailableError);
    await expect(lonely.tradeExecuted(trade)).rejects.toThrow(/Redis is unavailable .*the job was not added/);
    dead.disconnect();
  });
});
