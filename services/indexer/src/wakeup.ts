/** An interruptible sleep: shutdown and a lost lock end the wait at once instead of at the next poll. */
export class Wakeup {
  private wakers = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  now(): void {
    for (const w of [...this.wakers]) w();
  }
}
