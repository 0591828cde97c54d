import { parseArgs } from 'node:util';
import { UsageError, openContext, type ContextOptions, type OpsContext } from './context';
import { isFailedJobReason, FAILED_JOB_REASONS } from './failure-reason';
import { resnapshot } from './resnapshot';
import { retryFailed } from './retry-failed';
import { rewind } from './rewind';
import { printStatus, status } from './status';

// vaults-ops <command> [options]: one binary, the services' own environment (docs/OPERATIONS.md).
// Exit codes: 0 done, 1 the command failed (the reason on stderr), 2 a wrong command line.

export const USAGE = `usage: vaults-ops <command> [options]   (environment: as the services; docs/OPERATIONS.md)
  status                                        the indexer's cursor (head and lag with RPC_URL) and each queue's counts
  retry-failed --queue <QueueName> [--reason ${FAILED_JOB_REASONS.join('|')}] [--limit N] [--dry-run]
  resnapshot (--vault <chainId>:<address> | --all) [--recompute]
  rewind (--block N | --time <ISO-8601 or unix seconds>) [--dry-run]   (the indexer stopped)`;

type Print = (line: string) => void;

export interface CliIo {
  out: Print;
  err: Print;
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo, opts: ContextOptions = {}): Promise<number> {
  let run: (ctx: OpsContext) => Promise<unknown>;
  try {
    run = command(argv, opts);
  } catch (err) {
    io.err(`vaults-ops: ${(err as Error).message}`);
    io.err(USAGE);
    return 2;
  }
  let ctx: OpsContext | undefined;
  try {
    ctx = openContext(env, io.out, opts);
    await run(ctx);
    return 0;
  } catch (err) {
    io.err(`vaults-ops: ${(err as Error).message}`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await ctx?.close();
  }
}

/** The command line, checked before any connection is made. */
export function command(argv: string[], opts: ContextOptions = {}): (ctx: OpsContext) => Promise<unknown> {
  const [name, ...rest] = argv;
  const parse = <O extends Record<string, { type: 'string' | 'boolean' }>>(options: O) =>
    parseArgs({ args: rest, options, strict: true, allowPositionals: false }).values;
  switch (name) {
    case 'status': {
      parse({});
      return async (ctx) => printStatus(await status(ctx), ctx.print, ctx.config.queuePrefix);
    }
    case 'retry-failed': {
      const v = parse({ queue: { type: 'string' }, reason: { type: 'string' }, limit: { type: 'string' }, 'dry-run': { type: 'boolean' } });
      if (!v.queue) throw new UsageError('retry-failed needs --queue');
      if (v.reason !== undefined && !isFailedJobReason(v.reason)) throw new UsageError(`--reason ${JSON.stringify(v.reason)}: one of ${FAILED_JOB_REASONS.join(', ')}`);
      const limit = v.limit === undefined ? undefined : positiveInt('--limit', v.limit);
      const reason = v.reason as Parameters<typeof retryFailed>[1]['reason'];
      return (ctx) => retryFailed(ctx, { queue: v.queue!, reason, limit, dryRun: v['dry-run'] === true });
    }
    case 'resnapshot': {
      const v = parse({ vault: { type: 'string' }, all: { type: 'boolean' }, recompute: { type: 'boolean' } });
      if ((v.vault === undefined) === (v.all !== true)) throw new UsageError('resnapshot needs exactly one of --vault <chainId>:<address> and --all');
      return (ctx) => resnapshot(ctx, { vault: v.vault, all: v.all === true, recompute: v.recompute === true });
    }
    case 'rewind': {
      const v = parse({ block: { type: 'string' }, time: { type: 'string' }, 'dry-run': { type: 'boolean' } });
      if ((v.block === undefined) === (v.time === undefined)) throw new UsageError('rewind needs exactly one of --block N and --time <ISO-8601 or unix seconds>');
      const block = v.block === undefined ? undefined : positiveInt('--block', v.block, 0);
      return (ctx) => rewind(ctx, { block, time: v.time, dryRun: v['dry-run'] === true, queueSuffix: opts.queueSuffix });
    }
    case undefined:
      throw new UsageError('no command');
    default:
      throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  }
}

function positiveInt(flag: string, value: string, min = 1): number {
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) throw new UsageError(`${flag} ${JSON.stringify(value)}: an integer >= ${min}`);
  return Number(value);
}
