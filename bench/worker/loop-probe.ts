import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';

// A worker's event-loop delay with and without the time it waited for a CPU. Preloaded into a
// bench worker (`node --require <compiled probe>`, bench/worker-cpu.ts): a timer every 10 ms (the
// resolution of prom-client's monitorEventLoopDelay) records how late it fired, and how long the
// main thread sat on a run queue meanwhile (/proc/self/task/<pid>/schedstat, 2nd field: Linux's
// run-queue wait in ns). *total* is the delay prom-client sees; *own* = total - run-queue wait is
// what our synchronous code held the loop (the delay a machine with a free core would show). On a
// machine shared past its cores the two differ by 10x: the 20 ms goal is about *own*.
// It also records each garbage-collection pause (perf_hooks 'gc' entries): a part of *own* that
// no yield of ours can shorten.
// SIGUSR2 writes the delays since the last SIGUSR2 to LOOP_PROBE_DIR/<pid>-<n>.json and starts anew.

const EVERY_MS = 10;
const schedstat = `/proc/self/task/${process.pid}/schedstat`;

export interface LoopDelays {
  /** Delays of the timer's firings, ms, sorted: as prom-client measures them, and without run-queue waits. */
  total: number[];
  own: number[];
  /** Garbage-collection pauses, ms, sorted. */
  gc: number[];
}

/** One firing: how late, and how much of it the thread waited for a CPU (both ms). */
export function ownDelayMs(lateMs: number, runQueueWaitMs: number): number {
  return Math.max(0, lateMs - runQueueWaitMs);
}

function runQueueWaitMs(): number {
  return Number(readFileSync(schedstat, 'utf8').split(' ')[1]) / 1e6;
}

function start(dir: string): void {
  let delays: LoopDelays = { total: [], own: [], gc: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) delays.gc.push(e.duration);
  }).observe({ entryTypes: ['gc'] });
  let dumps = 0;
  let due = performance.now() + EVERY_MS;
  let waited = runQueueWaitMs();
  const tick = () => {
    const now = performance.now();
    const w = runQueueWaitMs();
    const late = Math.max(0, now - due);
    delays.total.push(late);
    delays.own.push(ownDelayMs(late, w - waited));
    waited = w;
    due = performance.now() + EVERY_MS;
    setTimeout(tick, EVERY_MS).unref();
  };
  setTimeout(tick, EVERY_MS).unref();
  process.on('SIGUSR2', () => {
    const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
    const out: LoopDelays = { total: sorted(delays.total), own: sorted(delays.own), gc: sorted(delays.gc) };
    delays = { total: [], own: [], gc: [] };
    const file = join(dir, `${process.pid}-${++dumps}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(out));
    renameSync(`${file}.tmp`, file); // whole when it appears
  });
}

if (process.env.LOOP_PROBE_DIR) start(process.env.LOOP_PROBE_DIR);
