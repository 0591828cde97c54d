import { addr, deploy, follower, trade } from '@vaults/testkit';
import { diffPonderTables, expectedPonderTables } from '../bench/ponder-tables';

// The side-by-side's check of Ponder's tables against the chain's logs (bench/ponder-run.ts).

const events = [
  deploy(1, 2),
  follower(1, 7, 'DEPOSIT', 500n, { blockNumber: 3 }),
  follower(1, 7, 'WITHDRAW', 200n, { blockNumber: 4 }),
  trade(1, 30n, { blockNumber: 5, logIndex: 0 }),
  trade(1, -10n, { blockNumber: 5, logIndex: 1 }),
];

describe('expectedPonderTables', () => {
  it('counts trades and sums pnl per vault, nets deposits and withdrawals per (vault, follower)', () => {
    const t = expectedPonderTables(events);
    expect(t.vaults).toEqual(new Map([[addr(1), { trades: 2, pnl: 20n }]]));
    expect(t.balances).toEqual(new Map([[`${addr(1)}:${addr(7)}`, 300n]]));
    expect([...t.trades]).toEqual([`${addr(1)}:5:0:30`, `${addr(1)}:5:1:-10`]);
  });
});

describe('diffPonderTables', () => {
  const expected = expectedPonderTables(events);
  it('is empty for the same tables', () => {
    expect(diffPonderTables(expected, expectedPonderTables(events))).toEqual([]);
  });

  it('names a wrong balance, a missing trade and a wrong vault', () => {
    const actual = expectedPonderTables(events.slice(0, 4));
    actual.balances.set(`${addr(1)}:${addr(7)}`, 500n);
    expect(diffPonderTables(expected, actual)).toEqual([
      `vault ${addr(1)}: expected 2 trades, pnl 20, Ponder has 1 trades, pnl 30`,
      `balance ${addr(1)}:${addr(7)}: expected 300, Ponder has 500`,
      `1 trades missing, e.g. ${addr(1)}:5:1:-10`,
    ]);
  });
});
