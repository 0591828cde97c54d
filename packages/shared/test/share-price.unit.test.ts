import { applyEvent, INITIAL_STATE, metricsOf, type LedgerEvent, type SharePriceState } from '@vaults/shared';

const fold = (events: LedgerEvent[]): SharePriceState => events.reduce(applyEvent, { ...INITIAL_STATE });
const dep = (a: bigint): LedgerEvent => ({ kind: 'DEPOSIT', amount: a });
const wd = (a: bigint): LedgerEvent => ({ kind: 'WITHDRAW', amount: a });
const tr = (p: bigint): LedgerEvent => ({ kind: 'TRADE', pnl: p });

// Expected values are worked out by hand from docs/CONTRACT.md §9 rule 5, never with the
// implementation's own formula.
describe('share-price walk (docs/CONTRACT.md §9 rule 5)', () => {
  it('does not count a deposit as profit or a withdrawal as a loss', () => {
    const s = fold([dep(100n), tr(10n), dep(1000n), wd(500n)]);
    expect(s.equity).toBe(610n);
    expect(metricsOf(s).roi).toBeCloseTo(0.1, 15);
    expect(metricsOf(s).drawdown).toBe(0);
  });

  it('tracks the peak and the largest fall from it', () => {
    const s = fold([dep(1000n), tr(500n), tr(-750n), tr(375n)]);
    // S: 1.5, then 1.5 * (1 - 750/1500) = 0.75, then 0.75 * (1 + 375/750) = 1.125
    expect(s.sharePrice).toBeCloseTo(1.125, 15);
    expect(s.peak).toBeCloseTo(1.5, 15);
    expect(s.maxDrawdown).toBeCloseTo(0.5, 15);
  });

  it('leaves S alone while equity is not positive, but still moves equity', () => {
    const s = fold([wd(50n), tr(30n), tr(-7n)]);
    expect(s.sharePrice).toBe(1);
    expect(s.equity).toBe(-27n);
    expect(metricsOf(s).tvl).toBe(0n);
    expect(metricsOf(fold([wd(5n)])).tvl).toBe(0n);
  });

  it('floors the share price at 0 and keeps drawdown at 1 after a wipe-out', () => {
    const s = fold([dep(100n), tr(-300n), dep(100n), tr(50n)]);
    expect(s.sharePrice).toBe(0);
    expect(s.maxDrawdown).toBe(1);
    expect(metricsOf(s).roi).toBe(-1);
  });

  it('is exact in equity near 2^256, and the ratio of huge integers is right', () => {
    const big = 2n ** 255n - 1n;
    const s = fold([dep(big), tr(big)]);
    expect(s.equity).toBe(2n * big);
    expect(metricsOf(s).tvl).toBe(2n * big);
    // pnl = equity: the share price doubles.
    expect(s.sharePrice).toBe(2);
    // 2^200 deposited, +2^199 then -2^199: S = 1.5, then 1.5 * (1 - 2^199 / (2^200 + 2^199)) = 1.5 * 2/3 = 1.
    const h = fold([dep(2n ** 200n), tr(2n ** 199n), tr(-(2n ** 199n))]);
    expect(h.sharePrice).toBeCloseTo(1, 15);
    expect(h.maxDrawdown).toBeCloseTo(1 / 3, 15);
  });

  it('takes the return on the equity before the trade, not on the deposits', () => {
    // 300 in; +100 (S = 4/3); 200 out (E = 200); -50 on 200 is -25%: S = 4/3 * 3/4 = 1; drawdown 25%.
    const s = fold([dep(300n), tr(100n), wd(200n), tr(-50n)]);
    expect(s.equity).toBe(150n);
    expect(s.sharePrice).toBeCloseTo(1, 15);
    expect(s.peak).toBeCloseTo(4 / 3, 15);
    expect(s.maxDrawdown).toBeCloseTo(0.25, 15);
    expect(metricsOf(s).roi).toBeCloseTo(0, 15);
  });
});
