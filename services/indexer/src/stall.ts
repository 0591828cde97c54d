import type { IndexerMetrics } from './metrics';

// Ticks that make no progress: counted in a row, by reason. The loop backs off exponentially
// with the count (service.ts); from REPORT_AFTER ticks in a row (one for a halt), the reason is
// reported: vaults_indexer_stalled{reason} = 1 (alert VaultsIndexerStalled) and /readyz 503 with
// the message. One tick of progress clears it.

export const STALL_REASONS = ['chain_moved', 'incomplete_logs', 'lagging_node', 'deep_reorg'] as const;
export type StallReason = (typeof STALL_REASONS)[number];

/** A single "the chain moved under the read" is routine at the head; three in a row are not. */
const REPORT_AFTER = 3;

export class Stall {
  private reason: StallReason | null = null;
  private message = '';
  /** Ticks in a row without progress. */
  ticks = 0;

  constructor(private readonly metrics: IndexerMetrics) {
    // Every reason exported from the start, so rate() and increase() see the first stall.
    for (const r of STALL_REASONS) {
      metrics.stalled.set({ reason: r }, 0);
      metrics.stalledTicks.inc({ reason: r }, 0);
    }
  }

  /** One more tick without progress; returns how many in a row. */
  record(reason: StallReason, message: string): number {
    this.ticks++;
    if (this.reason !== reason && this.reason) this.metrics.stalled.set({ reason: this.reason }, 0);
    this.reason = reason;
    this.message = message;
    this.metrics.stalledTicks.inc({ reason });
    if (this.reported) this.metrics.stalled.set({ reason }, 1);
    return this.ticks;
  }

  clear(): void {
    if (this.reason) this.metrics.stalled.set({ reason: this.reason }, 0);
    this.reason = null;
    this.ticks = 0;
  }

  get reported(): boolean {
    return !!this.reason && (this.reason === 'deep_reorg' || this.ticks >= REPORT_AFTER);
  }

  /** The readiness message while reported, else null. */
  get problem(): string | null {
    return this.reported ? `no progress for ${this.ticks} ticks (${this.reason}): ${this.message}` : null;
  }
}
