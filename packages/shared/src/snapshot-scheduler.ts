import type { Producer } from './producer';

/**
 * Asks for a vault's snapshot after an effect was committed. Requests for one vault that arrive
 * before the previous request was sent share one `add` (a batch of 100 trades of one vault sends
 * one), and BullMQ's deduplication keeps at most one waiting snapshot per vault in Redis.
 * A request made after an add was sent always sends another: that add's snapshot may already be
 * running and not see the newer commit.
 */
export class SnapshotScheduler {
  private readonly scheduled = new Map<string, Promise<void>>();

  constructor(private readonly producer: Producer) {}

  request(chainId: number, vaultAddress: string): Promise<void> {
    const key = `${chainId}:${vaultAddress}`;
    let pending = this.scheduled.get(key);
    if (!pending) {
      pending = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.scheduled.delete(key);
        await this.producer.calculateSnapshot({ chainId, vaultAddress });
      });
      this.scheduled.set(key, pending);
    }
    return pending;
  }
}
