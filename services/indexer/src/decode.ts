import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { prepareEventJob, type EventJob, type Logger } from '@vaults/shared';
import type { Block, Log } from 'viem';
import { YIELD_EVERY } from './enqueue';
import type { EventMapping, IndexedEvent } from './events';
import type { IndexerMetrics } from './metrics';
import type { SentLog } from './store';

// The decode step of a range: each log read becomes a contract event and its job, validated
// once (the job is what is enqueued). A log that is not one of ours is skipped; one whose payload
// the contract rejects is skipped loudly: sending it would only fill a failed set, stopping would
// halt every vault.

export interface DecodedEvent {
  event: IndexedEvent;
  job: EventJob;
}

export interface DecodeDeps {
  chainId: number;
  mapping: EventMapping;
  metrics: IndexerMetrics;
  log: Logger;
}

export async function decodeLogs(d: DecodeDeps, logs: readonly Log[], headers: ReadonlyMap<number, Block>): Promise<DecodedEvent[]> {
  const decoded: DecodedEvent[] = [];
  for (const [i, l] of logs.entries()) {
    if (i > 0 && i % YIELD_EVERY === 0) await yieldToEventLoop(); // decoding and validating 10,000 logs takes a while
    const n = Number(l.blockNumber);
    const ts = l.blockTimestamp != null ? Number(l.blockTimestamp) : Number(headers.get(n)!.timestamp);
    const event = d.mapping.toEvent(l, { chainId: d.chainId, blockTimestamp: ts });
    if (!event) {
      d.metrics.logsSkipped.inc({ reason: 'not_an_event' });
      continue;
    }
    const job = prepareEventJob(event.kind, event.payload);
    if ('problem' in job) {
      d.metrics.logsSkipped.inc({ reason: 'invalid_payload' });
      d.log.error({ txHash: l.transactionHash, logIndex: l.logIndex, blockNumber: n, problem: job.problem }, 'log skipped: the contract rejects its payload');
      continue;
    }
    decoded.push({ event, job });
  }
  return decoded;
}

/** What is remembered of the events sent (for removals after a re-organisation): those at or above `logsBelow`. */
export function sentLogsOf(decoded: readonly DecodedEvent[], logsBelow: number): SentLog[] {
  return decoded
    .map(({ event }) => event)
    .filter((e) => e.payload.blockNumber >= logsBelow)
    .map((e) => ({
      blockNumber: e.payload.blockNumber,
      blockHash: e.payload.blockHash,
      txHash: e.payload.txHash,
      logIndex: e.payload.logIndex,
      kind: e.kind,
      payload: e.payload,
    }));
}
