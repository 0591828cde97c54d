// The vault metrics of docs/CONTRACT.md §9 rule 5, as a fold over events in position order. Pure:
// the snapshot worker folds from a checkpoint, tests fold from the start, both with this code.

export type LedgerEvent =
  | { kind: 'DEPOSIT'; amount: bigint }
  | { kind: 'WITHDRAW'; amount: bigint }
  | { kind: 'TRADE'; pnl: bigint };

export interface SharePriceState {
  /** Equity E, an exact integer in base-asset units (may go negative). */
  equity: bigint;
  /** Share-price index S. */
  sharePrice: number;
  peak: number;
  maxDrawdown: number;
}

export const INITIAL_STATE: Readonly<SharePriceState> = Object.freeze({
  equity: 0n,
  sharePrice: 1,
  peak: 1,
  maxDrawdown: 0,
});

export function applyEvent(state: SharePriceState, event: LedgerEvent): SharePriceState {
  switch (event.kind) {
    case 'DEPOSIT':
      return { ...state, equity: state.equity + event.amount };
    case 'WITHDRAW':
      return { ...state, equity: state.equity - event.amount };
    case 'TRADE': {
      let sharePrice = state.sharePrice;
      if (state.equity > 0n) {
        sharePrice = Math.max(0, sharePrice * (1 + Number(event.pnl) / Number(state.equity)));
      }
      const peak = Math.max(state.peak, sharePrice);
      return {
        equity: state.equity + event.pnl,
        sharePrice,
        peak,
        maxDrawdown: Math.max(state.maxDrawdown, 1 - sharePrice / peak),
      };
    }
  }
}

export interface VaultMetrics {
  tvl: bigint;
  roi: number;
  drawdown: number;
}

export function metricsOf(state: SharePriceState): VaultMetrics {
  return {
    tvl: state.equity > 0n ? state.equity : 0n,
    roi: state.sharePrice - 1,
    drawdown: state.maxDrawdown,
  };
}
