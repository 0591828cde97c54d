import { applyEvent, INITIAL_STATE, metricsOf, type LedgerEvent, type SharePriceState } from '../src/share-price';

const fold = (events: LedgerEvent[]): SharePriceState => events.reduce(applyEvent, { ...INITIAL_STATE });
const dep = (a: bigint): LedgerEvent => ({ kind: 'DEPOSIT', amount: a });
const wd = (a: bigint): LedgerEvent => ({ kind: 'WITHDRAW', amount: a });
const tr = (p: bigint): LedgerEvent => ({ kind: 'TRADE', pnl: p });

describe('share-price walk (docs/CONTRACT.md section 5)', () => {
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

  it('is exact in equity near 2^256 and uses Number() of the integers for the ratio', () => {
    const big = 2n ** 255n - 1n;
    const s = fold([dep(big), tr(big)]);
    expect(s.equity).toBe(2n * big);
    expect(metricsOf(s).tvl).toBe(2n * big);
    expect(s.sharePrice).toBe(1 * (1 + Number(big) / Number(big)));
  });
});
