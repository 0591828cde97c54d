import { Client } from 'pg';

// A sampling profile of the bench database's backends: every few ms, what each one is doing
// (pg_stat_activity state and wait event). "active/CPU" is running SQL; "idle in transaction"
// is waiting for the Node side inside a transaction; IO:WalSync / LWLock:WALWrite is commit
// (fsync) cost; Lock:advisory is contention between batches.

export class WaitSampler {
  private readonly counts = new Map<string, number>();
  private samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly client: Client,
    private readonly dbName: string,
    private readonly everyMs = 25,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
  }

  /** Share of sampled backend-time per state, largest first (idle connections left out). */
  stop(top = 12): { state: string; share: number; backends: number }[] {
    clearInterval(this.timer);
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0) || 1;
    return [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([state, n]) => ({ state, share: Math.round((n / total) * 1000) / 1000, backends: Math.round((n / Math.max(1, this.samples)) * 10) / 10 }));
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { rows } = await this.client.query<{ s: string }>(
        `SELECT state || COALESCE('/' || wait_event_type || ':' || wait_event, '/CPU') AS s
           FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle'`,
        [this.dbName],
      );
      this.samples++;
      for (const r of rows) this.counts.set(r.s, (this.counts.get(r.s) ?? 0) + 1);
    } finally {
      this.busy = false;
    }
  }
}
