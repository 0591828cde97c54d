import type { Producer, QueueKey } from '@vaults/shared';
import { toJob } from '@vaults/testkit';
import type { DemoStream, Send } from './stream';

// Sends the stream through the shared Producer while a status line shows events sent, queue
// depths (BullMQ job counts) and throughput; then waits until every queue has drained.

const EVENT_QUEUES: QueueKey[] = ['vault', 'trade', 'follower'];
const ALL_QUEUES: QueueKey[] = ['vault', 'trade', 'follower', 'snapshot']; // upstream first
const PENDING = ['waiting', 'active', 'delayed', 'prioritized'] as const;

export const fmt = (n: number) => n.toLocaleString('en-US');

/** One status line, redrawn in place on a terminal, printed every few seconds otherwise. */
export class Status {
  private line = '';
  private lastPrinted = 0;
  constructor(private readonly tty = Boolean(process.stdout.isTTY)) {}

  print(text: string): void {
    if (this.tty && this.line) process.stdout.write('\r\x1b[2K');
    process.stdout.write(text + '\n');
    if (this.tty && this.line) process.stdout.write(this.line);
  }

  set(line: string, force = false): void {
    if (this.tty) {
      this.line = line;
      process.stdout.write('\r\x1b[2K' + line);
    } else if (force || Date.now() - this.lastPrinted >= 2000) {
      this.lastPrinted = Date.now();
      process.stdout.write(line + '\n');
    }
  }

  /** Leaves the last status on screen and stops redrawing it. */
  end(line?: string): void {
    if (line !== undefined) this.set(line, true);
    if (this.tty && this.line) process.stdout.write('\n');
    this.line = '';
  }
}

export interface ReplayResult {
  sent: number;
  seconds: number;
  failed: Record<QueueKey, number>;
}

type Counts = Record<QueueKey, Record<string, number>>;

async function jobCounts(producer: Producer): Promise<Counts> {
  const out = {} as Counts;
  for (const key of ALL_QUEUES) out[key] = await producer.queue(key).getJobCounts(...PENDING, 'failed');
  return out;
}

const pendingOf = (c: Record<string, number>) => PENDING.reduce((s, k) => s + (c[k] ?? 0), 0);

export function send(producer: Producer, s: Send) {
  const [key, name, data] = toJob(s.event);
  // A raw job (no job id) is delivered again whatever the Producer's id for the first copy was.
  if (s.kind === 'duplicate') return producer.queue(key).add(name, data, { removeOnComplete: { count: 1000 } });
  if (key === 'vault') return producer.vaultDeployed(data as never);
  if (key === 'trade') return producer.tradeExecuted(data as never);
  return producer.followerEvent(data as never);
}

export async function replay(producer: Producer, stream: DemoStream, status: Status, drainTimeoutMs: number): Promise<ReplayResult> {
  const sentTo: Record<QueueKey, number> = { vault: 0, trade: 0, follower: 0, snapshot: 0 };
  const total = stream.sends.length;
  let sent = 0;
  const started = Date.now();
  let last = { at: started, processed: 0 };
  let rate = 0;
  let latest: Counts | undefined;

  const render = (counts: Counts, throughput?: string) => {
    const processed = EVENT_QUEUES.reduce((s, k) => s + sentTo[k] - pendingOf(counts[k]), 0);
    const now = Date.now();
    if (now - last.at >= 400) {
      rate = ((processed - last.processed) * 1000) / (now - last.at);
      last = { at: now, processed };
    }
    throughput ??= `${fmt(Math.round(rate))} events/s`;
    const depth = ALL_QUEUES.map((k) => `${k} ${fmt(pendingOf(counts[k]))}`).join(' · ');
    const delayed = ALL_QUEUES.reduce((s, k) => s + (counts[k].delayed ?? 0), 0);
    const failed = ALL_QUEUES.reduce((s, k) => s + (counts[k].failed ?? 0), 0);
    return (
      `[demo] sent ${fmt(sent)}/${fmt(total)} · processed ${fmt(Math.max(0, processed))} · ` +
      `queued: ${depth} (delayed ${fmt(delayed)}) · failed ${fmt(failed)} · ${throughput}`
    );
  };
  let refreshing = false;
  const refresh = async () => {
    if (refreshing) return;
    refreshing = true;
    try {
      latest = await jobCounts(producer);
      status.set(render(latest));
    } finally {
      refreshing = false;
    }
  };
  const ticker = setInterval(() => void refresh().catch(() => undefined), 500);

  try {
    const sendOne = async (s: Send) => {
      await send(producer, s);
      sentTo[toJob(s.event)[0]]++;
      sent++;
    };
    const lagging: Promise<void>[] = [];
    const CHUNK = 100;
    for (let i = 0; i < total; i += CHUNK) {
      const chunk = stream.sends.slice(i, i + CHUNK);
      await Promise.all(
        chunk.map((s) => {
          if (!s.delayMs) return sendOne(s);
          lagging.push(new Promise((r) => setTimeout(r, s.delayMs)).then(() => sendOne(s)));
          return Promise.resolve();
        }),
      );
    }
    await Promise.all(lagging);
    // Drained: every queue empty, checked upstream first (a trade still running could schedule a
    // snapshot, so the snapshot queue is only looked at after the trade queue was found empty).
    const deadline = Date.now() + drainTimeoutMs;
    for (;;) {
      let empty = true;
      for (const key of ALL_QUEUES) {
        if (pendingOf(await producer.queue(key).getJobCounts(...PENDING)) > 0) {
          empty = false;
          break;
        }
      }
      if (empty) break;
      if (Date.now() > deadline) throw new Error(`queues did not drain within ${drainTimeoutMs} ms: ${JSON.stringify(await jobCounts(producer))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    clearInterval(ticker);
  }
  const final = await jobCounts(producer);
  const seconds = (Date.now() - started) / 1000;
  const average = EVENT_QUEUES.reduce((s, k) => s + sentTo[k], 0) / seconds;
  status.end(render(final, `${fmt(Math.round(average))} events/s on average, drained in ${seconds.toFixed(1)} s`));
  const failed = {} as Record<QueueKey, number>;
  for (const k of ALL_QUEUES) failed[k] = final[k].failed ?? 0;
  return { sent, seconds, failed };
}
