import { createServer } from 'node:net';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls a condition until it holds; fails with what it was waiting for. */
export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const taken = new Set<number>();

/** A free TCP port on 127.0.0.1 at or above `from` (never one this run handed out before). */
export async function freePort(from: number): Promise<number> {
  for (let p = from; p < from + 2000; p++) {
    if (taken.has(p)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) {
      taken.add(p);
      return p;
    }
  }
  throw new Error(`no free port from ${from}`);
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
