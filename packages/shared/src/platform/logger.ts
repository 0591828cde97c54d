import pino, { type Logger } from 'pino';
import { identityKey, type EventIdentity } from '../contract';

export type { Logger };

/** One JSON line per log record on stdout; secrets are redacted wherever they might appear. */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    redact: {
      paths: ['password', '*.password', 'databaseUrl', '*.databaseUrl', 'redisUrl', '*.redisUrl', 'err.command', '*.command'],
      censor: '***',
    },
  });
}

/** A child logger whose lines carry the queue, the job id and, when known, the event identity. */
export function jobLogger(
  log: Logger,
  queue: string,
  jobId: string | undefined,
  payload?: Partial<EventIdentity>,
): Logger {
  const event =
    payload && payload.chainId !== undefined && payload.txHash && payload.logIndex !== undefined
      ? identityKey(payload as EventIdentity)
      : undefined;
  return log.child({ queue, jobId, ...(event ? { event } : {}) });
}
