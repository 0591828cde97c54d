// Long CPU work yields. Under load, many jobs resume in one turn of the event loop: the jobs of a
// committed batch, the jobs whose snapshot requests Redis acknowledged together, the next jobs of
// one read of BullMQ's replies. Run back to back, hundreds of them held the loop for 20-30 ms of
// CPU (bench/loop-probe.ts, "own" delay), while lock renewals, replies and the metrics server
// waited. A job's step first asks the budget for room: it waits for the next check phase of the
// loop (one setImmediate: there every waiting step runs on its own, with its microtasks, BullMQ's
// follow-up included, before the next one), and runs there while that turn has spent less than
// the budget; the rest wait for the next turn, after the timers and I/O that were waiting. The
// work is the same, spread over turns of ~budget each. (A check without the hop would not work:
// steps resumed together would all find room before any of them had run.)

/** The default: a turn of the loop runs ~5 ms of jobs' steps before the rest wait for the next turn. */
export const LOOP_BUDGET_MS = 5;

const nextCheckPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

export class LoopBudget {
  private turnStartedAt: number;
  private marking = false;

  constructor(
    private readonly budgetMs = LOOP_BUDGET_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.turnStartedAt = now();
  }

  /** Resolves in a later check phase of the event loop that has room for the caller's step. */
  async room(): Promise<void> {
    do {
      this.markTurn();
      await nextCheckPhase();
    } while (this.now() - this.turnStartedAt >= this.budgetMs);
  }

  /**
   * The next check phase restarts the count: an immediate queued before the caller's own, so it
   * runs first there, and the steps behind it take the budget in their order.
   */
  private markTurn(): void {
    if (this.marking) return;
    this.marking = true;
    setImmediate(() => {
      this.marking = false;
      this.turnStartedAt = this.now();
    });
  }
}
