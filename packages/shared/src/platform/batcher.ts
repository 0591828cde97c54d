// Group commit: concurrent jobs hand their rows to one batcher, which writes up to `maxSize`
// of them in one transaction, at the latest `maxWaitMs` after the first one arrived. Each job's
// promise settles with its own outcome. When a whole batch fails (one poison row aborts the
// transaction), every row is tried again on its own, so only the poison row's job fails.

export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface BatcherOptions<I, R> {
  maxSize: number;
  maxWaitMs: number;
  /** Write the items; return one outcome per item, in order. Throwing fails the whole batch. */
  flush(items: I[]): Promise<Outcome<R>[]>;
  /** Called with the number of items of each flushed batch (metrics). */
  onFlush?(size: number): void;
}

interface Pending<I, R> {
  item: I;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export class Batcher<I, R> {
  private pending: Pending<I, R>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly opts: BatcherOptions<I, R>) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.opts.maxSize) this.flushNow();
      else if (!this.timer) this.timer = setTimeout(() => this.flushNow(), this.opts.maxWaitMs);
    });
  }

  /** Flush what is pending and wait for every batch under way. */
  async drain(): Promise<void> {
    this.flushNow();
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    const run = this.write(batch).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async write(batch: Pending<I, R>[]): Promise<void> {
    this.opts.onFlush?.(batch.length);
    let outcomes: Outcome<R>[];
    try {
      outcomes = await this.opts.flush(batch.map((p) => p.item));
      if (outcomes.length !== batch.length) throw new Error('batch flush returned the wrong number of outcomes');
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      await Promise.all(batch.map((p) => this.write([p])));
      return;
    }
    outcomes.forEach((outcome, i) => {
      const p = batch[i]!;
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.error);
    });
  }
}
