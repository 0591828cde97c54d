// eth_getLogs block ranges that adapt to the node: halve on a "too many results" / limit error or
// a time-out, grow by half again after a run of successes, always within [1, max]. Providers
// cap ranges differently (by blocks, by results, by response size, by time), so the indexer
// learns the cap instead of configuring it.

export class AdaptiveRange {
  private size: number;
  private successes = 0;
  /** The smallest size that failed lately: growth stops below it, so the range does not oscillate. */
  private ceiling = Infinity;
  private sinceFailure = 0;

  constructor(
    initial: number,
    readonly max: number,
    /** Successes in a row before growing. */
    private readonly growAfter = 2,
    /** Successes after which the last failing size no longer caps growth. */
    private readonly forgetAfter = 100,
  ) {
    this.size = Math.max(1, Math.min(initial, max));
  }

  get current(): number {
    return this.size;
  }

  /** A range of at most `current` blocks from `from`, not past `to`. */
  next(from: number, to: number): [number, number] {
    return [from, Math.min(to, from + this.size - 1)];
  }

  /** Returns false when the range is already one block: shrinking cannot help then. */
  shrink(): boolean {
    this.successes = 0;
    this.sinceFailure = 0;
    this.ceiling = Math.min(this.ceiling, this.size);
    if (this.size === 1) return false;
    this.size = Math.max(1, Math.floor(this.size / 2));
    return true;
  }

  /**
   * A range had more logs than a range may hold and was cut after `blocks` blocks: the next ones
   * are fetched at that size (not a failure: the size may grow again, and be cut again).
   */
  fit(blocks: number): void {
    this.successes = 0;
    this.size = Math.max(1, Math.min(this.size, blocks));
  }

  /** A range of `blocks` blocks succeeded; only full-size ones count towards growing. */
  succeeded(blocks: number): void {
    // A limit may have been a moment's (a time-out under load): forget it after a while.
    if (++this.sinceFailure >= this.forgetAfter) this.ceiling = Infinity;
    if (blocks < this.size) return;
    if (++this.successes < this.growAfter) return;
    this.successes = 0;
    const grown = Math.min(this.max, this.ceiling - 1, Math.max(this.size + 1, Math.floor(this.size * 1.5)));
    this.size = Math.max(this.size, grown);
  }
}

// Messages providers use for a range that is too big, by results or by time (geth, erigon,
// Alchemy, Infura, QuickNode, Ankr, anvil...). A time-out of the request itself counts too.
const LIMIT_PATTERNS = [
  /query returned more than \d+ results/i,
  /too many (results|logs|blocks)/i,
  /(block )?range (is )?too (large|wide|big)/i,
  /exceed(s|ed)? .*(limit|range|max)/i,
  /response (size|is too big)/i,
  /limit exceeded/i,
  /is limited to/i,
  /log response size/i,
  /query timeout|timed out|time-?out/i,
  // viem's own cap on a response (10 MB by default): a memory bound, so it shrinks the range too.
  /response body exceeded the size limit/i,
];

// Messages providers use when a caller sends too much too fast (per second, per day, per plan):
// a smaller range would not help, waiting does. Checked before the range patterns, which some of
// them also match ("rate limit exceeded" has "limit exceeded").
const RATE_LIMIT_PATTERNS = [
  /rate[- ]?limit/i,
  /too many requests/i,
  /compute units/i,
  /request (count|rate)/i,
  /capacity/i,
  /quota/i,
  /throughput/i,
  /credits?\b/i,
  /requests? per (second|minute|day)/i,
  /\b429\b/,
];

type RpcErrorLike = { name?: string; message?: string; details?: string; shortMessage?: string; status?: number; code?: number };

function errorText(e: RpcErrorLike): string {
  return [e.message, e.details, e.shortMessage].filter(Boolean).join(' ');
}

/** A provider's "too many requests" (HTTP 429, JSON-RPC -32005 with a rate message...): back off. */
export function isRateLimitError(err: unknown): boolean {
  const e = err as RpcErrorLike | undefined;
  if (!e) return false;
  if (e.status === 429) return true;
  return RATE_LIMIT_PATTERNS.some((p) => p.test(errorText(e)));
}

/** A range too large for the node (by results, size or time): shrink it. Never a rate limit. */
export function isRangeLimitError(err: unknown): boolean {
  const e = err as RpcErrorLike | undefined;
  if (!e || isRateLimitError(e)) return false;
  if (e.name === 'TimeoutError' || e.name === 'ResponseBodyTooLargeError') return true;
  return LIMIT_PATTERNS.some((p) => p.test(errorText(e)));
}

/**
 * A range's logs bounded by count (MAX_LOGS_PER_RANGE), before anything is enqueued: `logs` is
 * sorted by position; when there are more than `max`, the range ends at the last block whose logs
 * all fit (never inside a block: the cursor moves by whole blocks). A single block with more
 * than `max` logs is kept whole: it cannot be split.
 */
export function boundByLogs<L extends { blockNumber: bigint | null }>(logs: L[], from: number, to: number, max: number): { to: number; logs: L[] } {
  if (logs.length <= max) return { to, logs };
  const firstOver = Number(logs[max]!.blockNumber);
  const end = Math.max(from, firstOver - 1);
  let keep = 0;
  while (keep < logs.length && Number(logs[keep]!.blockNumber) <= end) keep++;
  return { to: end, logs: logs.slice(0, keep) };
}
