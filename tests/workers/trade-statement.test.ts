import { recordTrades, txOn, type TradeExecuted } from '@vaults/shared';
import { addr, trade, waitUntil } from '@vaults/testkit';
import { strip, writerBench } from './support/writers';

// The trade writer's ledger statement also inserts the Trade rows and sets the recompute-from
// mark (lock-protocol rule 2): two statements per batch in the common case. These cases fail if
// that statement got agreement, removal or the mark wrong.

const { w, vaults } = writerBench();

const t = (vault: number, block: number, logIndex: number, over: Partial<TradeExecuted> = {}): TradeExecuted =>
  ({ ...strip(trade(vault, 5n, { blockNumber: block, logIndex })), ...over });

it('records a new batch and its redelivery in two statements each', async () => {
  const batch = [t(1, 20, 0), t(2, 20, 1), t(1, 21, 0)];
  expect(await w.trades(batch)).toEqual({ statements: 2, outcomes: ['applied', 'applied', 'applied'] });
  expect(await w.trades([batch[1]!, batch[0]!, batch[1]!])).toEqual({ statements: 2, outcomes: ['duplicate', 'duplicate', 'duplicate'] });
  expect(await w.count('Trade', `"txHash" IN ('${batch.map((b) => b.txHash).join("','")}')`)).toBe(3);
});

it('marks the earliest inserted position at or before the fold, and leaves a vault folded before its events untouched', async () => {
  await w.fold(vaults[0]!, 100, 5);
  await w.fold(vaults[1]!, 100, 5);
  const before = [await w.state(vaults[0]!), await w.state(vaults[1]!)];

  // After both folded positions: no VaultMetricsState row changes (same row version).
  expect((await w.trades([t(1, 100, 6), t(2, 101, 0)])).statements).toBe(2);
  expect([await w.state(vaults[0]!), await w.state(vaults[1]!)]).toEqual(before);

  // At and before vault 1's position: the earliest one; vault 2 (after) untouched.
  expect((await w.trades([t(1, 100, 5), t(1, 99, 1), t(2, 102, 0), t(1, 99, 7)])).statements).toBe(2);
  expect((await w.state(vaults[0]!)).recomputeFrom).toBe('99:1');
  expect(await w.state(vaults[1]!)).toEqual(before[1]);

  // An earlier one moves the mark back; a later one (still before the fold) does not move it.
  await w.trades([t(1, 98, 0)]);
  expect((await w.state(vaults[0]!)).recomputeFrom).toBe('98:0');
  const marked = await w.state(vaults[0]!);
  await w.trades([t(1, 99, 0)]);
  expect(await w.state(vaults[0]!)).toEqual(marked);

  // A redelivery inserts nothing, so it marks nothing.
  const early = t(1, 97, 0);
  await w.trades([early]);
  await w.fold(vaults[0]!, 100, 5);
  const refolded = await w.state(vaults[0]!);
  expect((await w.trades([early])).outcomes).toEqual(['duplicate']);
  expect(await w.state(vaults[0]!)).toEqual(refolded);
});

it('removes, marking the removed position, in the batch of its removal', async () => {
  const a = t(1, 30, 0);
  await w.trades([a]);
  await w.fold(vaults[0]!, 40, 0);
  expect((await w.trades([{ ...a, removed: true }])).outcomes).toEqual(['removed']);
  expect(await w.count('Trade', `"txHash" = '${a.txHash}'`)).toBe(0);
  expect((await w.state(vaults[0]!)).recomputeFrom).toBe('30:0');
  // A later live copy of the removed event stays removed.
  expect((await w.trades([a])).outcomes).toEqual(['removed']);
  expect(await w.count('Trade', `"txHash" = '${a.txHash}'`)).toBe(0);
});

it('applies a later agreeing copy when the batch\'s first copy of the identity conflicts', async () => {
  const a = t(1, 31, 0);
  await w.trades([a]);
  const b = { ...a, tokenIn: addr(0xcc) };
  expect((await w.trades([b, a])).outcomes).toEqual(['tokenIn', 'duplicate']);
  expect((await w.trades([b, { ...a, removed: true }])).outcomes).toEqual(['tokenIn', 'removed']);
  expect(await w.count('Trade', `"txHash" = '${a.txHash}'`)).toBe(0);
});

describe('two transactions with one identity', () => {
  // The second waits for the first's ledger row; the first commits its Trade row after the
  // second's statement began: the second must still see it.
  async function race(first: TradeExecuted, second: TradeExecuted) {
    const [c1, c2] = [await w.connect(), await w.connect()];
    try {
      await c1.query('BEGIN');
      await recordTrades(txOn(c1), [first]);
      await c2.query('BEGIN');
      const pending = recordTrades(txOn(c2), [second]);
      await waitUntil(() => w.blocked(c2), 10_000, 'the second transaction to wait for the ledger row');
      await c1.query('COMMIT');
      const [outcome] = await pending;
      await c2.query('COMMIT');
      return outcome;
    } finally {
      await c1.end();
      await c2.end();
    }
  }

  it('a removal deletes the Trade row a concurrent copy committed', async () => {
    const a = t(1, 32, 0);
    expect(await race(a, { ...a, removed: true })).toEqual({ ok: true, value: 'removed' });
    expect(await w.count('Trade', `"txHash" = '${a.txHash}'`)).toBe(0);
  });

  it('a redelivery finds the Trade row a concurrent copy committed', async () => {
    const a = t(1, 33, 0);
    expect(await race(a, a)).toEqual({ ok: true, value: 'duplicate' });
    expect(await w.count('Trade', `"txHash" = '${a.txHash}'`)).toBe(1);
  });
});
