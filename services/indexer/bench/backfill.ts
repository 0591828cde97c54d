// pnpm bench:indexer: backfill speed. A local anvil holds a chain of BENCH_INDEXER_LOGS (default
// 50,000) trade logs plus deposits over many blocks. Two runs over that chain, each with a fresh
// database and queue prefix:
//   1. end to end: the four workers (processes) running, the indexer (a process) started on the
//      factory's block; logs/s until every queue drained, then the database is checked against
//      the reference model of the chain's logs;
//   2. the indexer alone (no workers): logs/s into Redis until its cursor reaches the head.
// Each run also prints the indexer's event-loop delay (p99, max) over the backfill. Then, when
// Ponder's own install is there (pnpm bench:ponder:install), the same chain beside Ponder, as
// `pnpm bench:ponder` runs it (BENCH_PONDER_ROUNDS alternating rounds, PASS/MISS for >= 1.0x);
// BENCH_INDEXER_PONDER=0 leaves that out.
// BENCH_INDEXER_AB=<env> (e.g. READ_AHEAD=false) instead: the indexer alone, with and without
// <env>, alternating, BENCH_INDEXER_ROUNDS rounds (ab() below).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Harness, createTestDatabase, diffStates, expectedState, readState, unlinkPrefix, waitUntil, type AnyEvent } from '@vaults/testkit';
import { createRedis } from '@vaults/shared';
import { Anvil, DevChain, deployVaults, Stack, storedCursor } from '@vaults/devchain';
import { BLOCK_QUEUE_SUFFIX } from './block-prototype/block-jobs';

const LOGS = Number(process.env.BENCH_INDEXER_LOGS ?? 50_000);
const PER_TX = 100;
const TXS_PER_BLOCK = 2;
const E18 = 10n ** 18n;
const log = (m: string) => process.stderr.write(`[bench:indexer ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
/** `A=1,B=2` as an environment. */
const envOf = (list: string | undefined): Record<string, string> =>
  list ? Object.fromEntries(list.split(',').map((kv) => kv.split('=') as [string, string])) : {};
const indexerEnv = envOf(process.env.BENCH_INDEXER_ENV);

export async function buildChain(chain: DevChain): Promise<void> {
  await chain.deployFactory();
  const vaults = await deployVaults(chain, 10);
  log(`building the chain: ${LOGS} trade logs, ${PER_TX} per transaction, ${TXS_PER_BLOCK} transactions per block, 10 vaults`);
  const followers = chain.accounts.slice(6);
  for (const [i, v] of vaults.entries()) await chain.deposit(v.address, followers[i % followers.length]!, 1_000_000n * E18);
  await chain.mine(1);
  for (let sent = 0, i = 0; sent < LOGS; i++) {
    const v = vaults[i % vaults.length]!;
    const n = Math.min(PER_TX, LOGS - sent);
    await chain.tradeMany(v.address, v.leader, n, BigInt((i % 7) - 3) * E18);
    sent += n;
    if ((i + 1) % TXS_PER_BLOCK === 0 || sent >= LOGS) await chain.mine(1);
  }
}

export interface Run {
  seconds: number;
  inRanges: number;
  /** The indexer's event-loop delay over the run (its own gauges, since its start), in ms. */
  loopP99Ms: number;
  loopMaxMs: number;
  differences: string[] | null;
  /** CPU seconds of each process of the run (the workers' from their ready, the indexer's from its start). */
  cpu: Record<string, number>;
}

/** utime + stime of a process in seconds (/proc, clock ticks of 10 ms). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const cpuOf = (stack: Stack) => new Map(stack.processes.map((p) => [p.name, processCpuSeconds(p.child.pid!)]));

/** The per-block prototype's processes (block-prototype/): its indexer main and its one worker for the block queues. */
const PROTOTYPE = 'services/indexer/bench/block-prototype';
/**
 * One addBulk per queue and range (10,000 at most), so whole blocks: MAX_LOGS_PER_RANGE (default
 * 10,000) must not exceed it. The next range read while one is sent and committed (READ_AHEAD).
 */
const PROTOTYPE_INDEXER_ENV = { ENQUEUE_CHUNK_SIZE: '10000', READ_AHEAD: 'true' };

/**
 * `blocks`: the per-block prototype instead of today's per-event jobs (the indexer's main in
 * block-prototype/, the block worker and the snapshot worker instead of the four workers).
 */
export async function run(chain: DevChain, events: AnyEvent[], withWorkers: boolean, blocks = false, env: Record<string, string> = {}): Promise<Run> {
  if (blocks && Number(indexerEnv.MAX_LOGS_PER_RANGE ?? 10_000) > 10_000) throw new Error('the per-block prototype needs MAX_LOGS_PER_RANGE <= 10000 (BENCH_INDEXER_ENV)');
  const head = await chain.head();
  const db = await createTestDatabase('vaults_bench_indexer');
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const stack = new Stack({
    databaseUrl: db.url,
    redisUrl,
    prefix: `bench-indexer-${randomBytes(3).toString('hex')}`,
    logLevel: process.env.BENCH_INDEXER_LOG_LEVEL ?? 'warn',
    print: (line) => process.stderr.write(`${line}\n`),
  });
  const blockQueues = new Harness(db.url, BLOCK_QUEUE_SUFFIX, { QUEUE_PREFIX: stack.prefix });
  try {
    if (withWorkers && blocks) {
      await Promise.all([
        stack.spawn('snapshot-worker'),
        stack.spawn('block-worker', { BLOCK_CONCURRENCY: process.env.BENCH_BLOCK_CONCURRENCY ?? '4' }, `${PROTOTYPE}/block-worker.ts`),
      ]);
    } else if (withWorkers) await stack.startWorkers();
    const cpu0 = cpuOf(stack);
    const t0 = Date.now();
    const indexer = blocks
      ? await stack.startIndexer(chain, { ...indexerEnv, ...env, ...PROTOTYPE_INDEXER_ENV }, `${PROTOTYPE}/indexer-main.ts`)
      : await stack.startIndexer(chain, { ...indexerEnv, ...env });
    await waitUntil(async () => ((await storedCursor(db.url))?.block ?? -1) >= head, 900_000, 'the indexer to reach the head');
    if (withWorkers && blocks) await blockQueues.drained(900_000); // the block jobs request the snapshots before they complete
    if (withWorkers) await stack.queues.drained(900_000);
    const seconds = (Date.now() - t0) / 1000;
    const cpu = Object.fromEntries([...cpuOf(stack)].map(([name, s]) => [name, s - (cpu0.get(name) ?? 0)]));
    // Time inside ranges (fetch + enqueue + commit), from the indexer's own histogram.
    const metrics = await (await fetch(`http://127.0.0.1:${indexer.port}/metrics`)).text();
    const inRanges = Number(/^vaults_indexer_range_duration_seconds_sum\{[^}]*\} (\S+)/m.exec(metrics)?.[1] ?? NaN);
    const gauge = (name: string) => 1000 * Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN);
    const loopP99Ms = gauge('vaults_indexer_event_loop_delay_p99_seconds');
    const loopMaxMs = gauge('vaults_indexer_event_loop_delay_max_seconds');
    const differences = withWorkers ? diffStates(expectedState(events), await readState(db.url)) : null;
    return { seconds, inRanges, loopP99Ms, loopMaxMs, differences, cpu };
  } finally {
    await stack.stop();
    await blockQueues.close();
    await db.drop();
    // The run's jobs (the indexer-alone run leaves every one of them): its own prefix only.
    const redis = createRedis(redisUrl, 'wait');
    try {
      await unlinkPrefix(redis, stack.prefix);
    } finally {
      redis.disconnect();
    }
  }
}

/** A local anvil with the bench chain built on it, for `fn`; the anvil stops after it. */
export async function withBenchChain<T>(fn: (chain: DevChain, events: AnyEvent[], head: number) => Promise<T>): Promise<T> {
  const anvil = await Anvil.start();
  try {
    const chain = await new DevChain(anvil.url).init();
    await buildChain(chain);
    return await fn(chain, await chain.canonicalEvents(), await chain.head());
  } finally {
    await anvil.stop('SIGKILL');
  }
}

/**
 * BENCH_INDEXER_AB=<env>: the indexer alone into Redis, BENCH_INDEXER_ROUNDS (3) rounds of two
 * runs alternating which goes first, without and with <env> added (e.g. READ_AHEAD=false): logs/s
 * per round and the median ratio.
 */
async function ab(list: string): Promise<number> {
  const rounds = Number(process.env.BENCH_INDEXER_ROUNDS ?? 3);
  return withBenchChain(async (chain, events, head) => {
    const n = events.length;
    const rows: { a: number; b: number; load: number }[] = [];
    for (let i = 0; i < rounds; i++) {
      const row = { a: 0, b: 0, load: loadavg()[0]! };
      for (const side of i % 2 ? (['b', 'a'] as const) : (['a', 'b'] as const)) {
        log(`round ${i + 1}: the indexer alone, ${side === 'a' ? 'as configured' : list}`);
        row[side] = n / (await run(chain, events, false, false, side === 'a' ? {} : envOf(list))).seconds;
      }
      rows.push(row);
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    process.stdout.write(`\nindexer alone into Redis, ${n} logs in ${head - chain.factoryBlock + 1} blocks, ${cpus().length} cores: A = as configured, B = ${list}\n`);
    process.stdout.write(`| round | load avg | A logs/s | B logs/s | A / B |\n|---|---:|---:|---:|---:|\n`);
    for (const [i, r] of rows.entries()) process.stdout.write(`| ${i + 1} | ${r.load.toFixed(1)} | ${Math.round(r.a)} | ${Math.round(r.b)} | ${(r.a / r.b).toFixed(2)}x |\n`);
    process.stdout.write(`| median | | ${Math.round(median(rows.map((r) => r.a)))} | ${Math.round(median(rows.map((r) => r.b)))} | ${median(rows.map((r) => r.a / r.b)).toFixed(2)}x |\n`);
    return 0;
  });
}

async function main(): Promise<number> {
  if (process.env.BENCH_INDEXER_AB) return ab(process.env.BENCH_INDEXER_AB);
  return withBenchChain(async (chain, events, head) => {
    log(`chain ready: ${events.length} contract events in blocks ${chain.factoryBlock}..${head}; load average before: ${loadavg()[0]!.toFixed(1)}`);
    log('run 1: end to end (indexer + four workers)');
    const e2e = await run(chain, events, true);
    log('run 2: the indexer alone (into Redis)');
    const alone = await run(chain, events, false);

    const n = events.length;
    const rate = (s: number) => Math.round(n / s);
    process.stdout.write(`\nindexer backfill: ${n} logs in ${head - chain.factoryBlock + 1} blocks, ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}\n`);
    process.stdout.write(`| run | logs | seconds | logs/s |\n|---|---:|---:|---:|\n`);
    process.stdout.write(`| end to end into Postgres: indexer start to every queue drained (4 workers) | ${n} | ${e2e.seconds.toFixed(2)} | ${rate(e2e.seconds)} |\n`);
    process.stdout.write(`| indexer alone into Redis: process start to cursor at head | ${n} | ${alone.seconds.toFixed(2)} | ${rate(alone.seconds)} |\n`);
    process.stdout.write(`| indexer alone, time inside its ranges (fetch, enqueue, commit) | ${n} | ${alone.inRanges.toFixed(2)} | ${rate(alone.inRanges)} |\n`);
    process.stdout.write(`\nthe indexer's event-loop delay during the backfill (perf_hooks.monitorEventLoopDelay in the indexer process, since its start):\n`);
    process.stdout.write(`| run | p99 ms | max ms |\n|---|---:|---:|\n`);
    process.stdout.write(`| end to end (4 workers) | ${e2e.loopP99Ms.toFixed(1)} | ${e2e.loopMaxMs.toFixed(1)} |\n`);
    process.stdout.write(`| indexer alone | ${alone.loopP99Ms.toFixed(1)} | ${alone.loopMaxMs.toFixed(1)} |\n`);
    const diff = e2e.differences!;
    process.stdout.write(`database = reference model of the chain's logs: ${diff.length === 0 ? 'PASS' : `FAIL (${diff.length} differences, e.g. ${diff.slice(0, 3).join('; ')})`}\n`);
    // Then the same chain beside Ponder (indexer-vs-ponder.ts, alternating runs, PASS/MISS for
    // >= 1.0x), when its own install is there; BENCH_INDEXER_PONDER=0 leaves it out.
    const sideBySideCode = await besidePonder(chain, events, head);
    return diff.length === 0 ? sideBySideCode : 1;
  });
}

async function besidePonder(chain: DevChain, events: AnyEvent[], head: number): Promise<number> {
  if (process.env.BENCH_INDEXER_PONDER === '0') return 0;
  // Imported here: indexer-vs-ponder.ts imports this file.
  const [{ ponderMissing }, { sideBySide }] = await Promise.all([import('./ponder-run'), import('./indexer-vs-ponder')]);
  const missing = ponderMissing();
  if (missing) {
    process.stdout.write(`\nbackfill beside Ponder: not run (${missing}); pnpm bench:ponder:install installs it\n`);
    return 0;
  }
  log('then the same chain beside Ponder (pnpm bench:ponder)');
  return sideBySide(chain, events, head);
}

// indexer-vs-ponder.ts imports withBenchChain and run.
if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`bench:indexer failed: ${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
