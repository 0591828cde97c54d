import pino, { type DestinationStream, type Logger } from 'pino';
import { identityKey, type EventIdentity } from '../contract';
import { redactSecrets } from './redact';

export type { Logger };

export interface LoggerOptions {
  /** More paths to redact (a program's own secrets, such as an Authorization header). */
  redact?: string[];
  /** Where the lines go (tests); stdout by default. */
  destination?: DestinationStream;
}

/**
 * One JSON line per log record on stdout; secrets are redacted wherever they might appear.
 * Errors go under `err` whole (`log.warn({ err }, ...)`): pino's error serializer keeps the type,
 * message, stack, cause and own fields. Two own fields can carry secrets and are redacted: an
 * ioredis error's `command` (its arguments: AUTH passwords) and a URL error's `input` (a
 * connection string with its password).
 */
export function createLogger(service: string, level: string, opts: LoggerOptions = {}): Logger {
  const options = {
    level,
    base: { service },
    redact: {
      paths: [
        'password', '*.password', 'databaseUrl', '*.databaseUrl', 'redisUrl', '*.redisUrl',
        'err.command', '*.command', 'err.input', 'err.cause.input', 'err.cause.command', 'err.errors[*].command',
        ...(opts.redact ?? []),
      ],
      censor: '***',
    },
    // URLs inside messages and fields (an RPC error carries its endpoint, key and all): redacted
    // in every line, whatever the field is called (redactSecrets; the path list above cannot
    // know where a URL will appear).
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map(redactArg));
      },
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/**
 * The logger of a process's own lines (a signal, a failed start-up, a failed shutdown), which may
 * have to speak before its configuration could be read: LOG_LEVEL when it names a level, else info.
 */
export function processLogger(name: string, env: NodeJS.ProcessEnv = process.env, opts: LoggerOptions = {}): Logger {
  const wanted = env.LOG_LEVEL ?? 'info';
  const level = wanted === 'silent' || Object.hasOwn(pino.levels.values, wanted) ? wanted : 'info';
  return createLogger(name, level, opts);
}

/** A log call's argument with the URLs in its strings (and an error's message and stack) redacted. */
function redactArg(arg: unknown): unknown {
  if (typeof arg === 'string') return redactSecrets(arg);
  if (arg instanceof Error) return redactError(arg);
  if (!arg || typeof arg !== 'object' || Array.isArray(arg)) return arg;
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(arg)) {
    const r = typeof v === 'string' ? redactSecrets(v) : v instanceof Error ? redactError(v) : v;
    if (r !== v) (copy ??= { ...(arg as Record<string, unknown>) })[k] = r;
  }
  return copy ?? arg;
}

function redactError(err: Error): Error {
  const message = redactSecrets(err.message);
  const stack = err.stack && redactSecrets(err.stack);
  if (message === err.message && stack === err.stack) return err;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(err) as object) as Error, err, { message, stack });
  for (const k of Object.keys(copy)) {
    const v = (copy as unknown as Record<string, unknown>)[k];
    if (typeof v === 'string') (copy as unknown as Record<string, unknown>)[k] = redactSecrets(v);
  }
  return copy;
}

/** A child logger whose lines carry the queue, the job id and, when known, the event identity. */
export function jobLogger(
  log: Logger,
  queue: string,
  jobId: string | undefined,
  payload?: Partial<EventIdentity>,
): Logger {
  const event =
    typeof payload?.blockHash === 'string' && payload.chainId !== undefined && payload.logIndex !== undefined
      ? identityKey(payload as EventIdentity)
      : undefined;
  return log.child({ queue, jobId, ...(event ? { event } : {}) });
}

/**
 * A job's context whose child logger (queue, job id, event identity) is made on first use: most
 * jobs never log, and a pino child per job (bindings serialised, redaction) was ~2.5% of the trade
 * worker's CPU (bench/worker/worker-cpu.ts profile). The lines are the same as with a child made up front.
 */
export class LazyJobContext {
  private child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly queue: string,
    readonly jobId: string | undefined,
    private readonly payload: Record<string, unknown> | undefined,
    /** BullMQ's attemptsStarted: 1 on the first run, counting the delayed retries too. */
    readonly attempt = 1,
  ) {}

  get log(): Logger {
    return (this.child ??= jobLogger(this.parent, this.queue, this.jobId, this.payload));
  }
}
