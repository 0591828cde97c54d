// pnpm bench:ponder: backfill beside Ponder. One local anvil chain, built as
// `pnpm bench:indexer` builds it (backfill.ts: BENCH_INDEXER_LOGS trade logs, default 50,000);
// then BENCH_PONDER_ROUNDS rounds (default 3) of three contestants, the order rotated each round
// (so each goes first, second and third once in three rounds), each run on a fresh database:
//   - per-event jobs (today): end to end, the indexer and the four workers into Postgres, until
//     every queue drained, the database then checked against the reference model (backfill.ts run());
//   - the per-block PROTOTYPE (block-prototype/: one job per block and queue, not in the
//     contract): the same, with the prototype's indexer main, its block worker and the snapshot
//     worker, and the same check;
//   - Ponder: the app in bench/ponder (its own install: `npm ci` there), from `ponder start`
//     until /ready, its tables then checked against the chain's logs (ponder-run.ts).
// Prints logs/s of each per round and over all rounds, and PASS/MISS for each of ours >= 1.0x Ponder.
import { cpus, loadavg } from 'node:os';
import type { AnyEvent } from '@vaults/testkit';
import type { DevChain } from '@vaults/devchain';
import { run, withBenchChain } from './backfill';
import { ponderMissing, runPonder } from './ponder-run';

const ROUNDS = Number(process.env.BENCH_PONDER_ROUNDS ?? 3);
const log = (m: string) => process.stderr.write(`[bench:ponder ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

interface Round {
  /** Seconds end to end: per-event jobs (today), per-block jobs (the prototype). */
  events: number;
  blocks: number;
  ponder: number;
  ponderIndexing: number;
  exact: { events: boolean; blocks: boolean; ponder: boolean };
  /** CPU seconds per process (backfill.ts run()), and the ponder process's. */
  cpu: { events: Record<string, number>; blocks: Record<string, number>; ponder: number };
  load: number;
}

async function main(): Promise<number> {
  const missing = ponderMissing();
  if (missing) {
    process.stderr.write(`bench:ponder: ${missing}\n`);
    return 2;
  }
  return withBenchChain(sideBySide);
}

/**
 * The side-by-side on a chain that withBenchChain built (`pnpm bench:indexer` runs it too, after
 * its own two runs, when Ponder is installed): prints the table and the verdicts; 0 when every
 * database was exact.
 */
export async function sideBySide(chain: DevChain, events: AnyEvent[], head: number): Promise<number> {
  const n = events.length;
  log(`chain ready: ${n} logs in blocks ${chain.factoryBlock}..${head}; ${ROUNDS} rounds, order rotated each round`);
  const rounds: Round[] = [];
  const loads: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r: Partial<Round> = { load: loadavg()[0]!, exact: { events: false, blocks: false, ponder: false }, cpu: { events: {}, blocks: {}, ponder: 0 } };
    const ours = (key: 'events' | 'blocks') => async () => {
      log(`round ${i + 1}: ${key === 'events' ? 'per-event jobs (indexer + four workers)' : 'per-block prototype (indexer + block worker + snapshot worker)'} into Postgres`);
      const o = await run(chain, events, true, key === 'blocks');
      r[key] = o.seconds;
      r.cpu![key] = o.cpu;
      log(`${key}: ${o.seconds.toFixed(1)} s end to end, of which the indexer inside its ranges (read, send, commit) ${o.inRanges.toFixed(1)} s`);
      r.exact![key] = o.differences?.length === 0;
      if (!r.exact![key]) log(`${key}: ${o.differences!.length} differences, e.g. ${o.differences!.slice(0, 3).join('; ')}`);
      loads.push(loadavg()[0]!);
    };
    const ponder = async () => {
      log(`round ${i + 1}: Ponder`);
      const p = await runPonder(chain, events, (line) => process.stderr.write(`${line}\n`));
      r.ponder = p.seconds;
      r.ponderIndexing = p.indexingSeconds;
      r.cpu!.ponder = p.cpu;
      r.exact!.ponder = p.differences.length === 0;
      if (!r.exact!.ponder) log(`Ponder: ${p.differences.length} differences, e.g. ${p.differences.slice(0, 3).join('; ')}`);
      loads.push(loadavg()[0]!);
    };
    const steps = [ours('events'), ours('blocks'), ponder];
    for (let k = 0; k < steps.length; k++) await steps[(k + i) % steps.length]!();
    rounds.push(r as Round);
  }

  const rate = (s: number) => Math.round(n / s);
  const sum = (f: (r: Round) => number) => rounds.reduce((a, r) => a + f(r), 0);
  // Judged against Ponder's indexing alone (its build and start-up left out): the stricter one.
  const ponderIndexing = sum((r) => r.ponderIndexing);
  const verdict = (key: 'events' | 'blocks') => {
    const ratio = ponderIndexing / sum((r) => r[key]);
    return `${ratio >= 1 ? 'PASS' : 'MISS'} (${ratio.toFixed(2)}x)`;
  };
  const exact = (key: keyof Round['exact']) => rounds.every((r) => r.exact[key]);
  const yes = (ok: boolean) => (ok ? 'yes' : 'NO');
  const row = (label: string, load: string, e: number, b: number, p: number, pi: number, ok: string) =>
    `| ${label} | ${load} | ${rate(e)} | ${rate(b)} | ${rate(p)} | ${rate(pi)} | ${(pi / e).toFixed(2)}x | ${(pi / b).toFixed(2)}x | ${ok} |`;
  const lines = [
    '',
    `backfill beside Ponder: ${n} logs in ${head - chain.factoryBlock + 1} blocks, ${cpus().length} cores, ${ROUNDS} rounds, order rotated (round 1: per-event, per-block, Ponder; round 2 starts with per-block; round 3 with Ponder)`,
    '| round | load avg (1 min, at its start) | per-event logs/s (indexer start to every queue drained) | per-block prototype logs/s (same) | Ponder logs/s (ponder start to every row) | Ponder logs/s (backfill start to every row) | per-event / Ponder (backfill) | per-block / Ponder (backfill) | exact (event, block, Ponder) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rounds.map((r, i) => row(String(i + 1), r.load.toFixed(1), r.events, r.blocks, r.ponder, r.ponderIndexing, [r.exact.events, r.exact.blocks, r.exact.ponder].map(yes).join(', '))),
    row('all', `${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`, sum((r) => r.events) / ROUNDS, sum((r) => r.blocks) / ROUNDS, sum((r) => r.ponder) / ROUNDS, ponderIndexing / ROUNDS, [exact('events'), exact('blocks'), exact('ponder')].map(yes).join(', ')),
    `per-event jobs >= 1.0x Ponder end to end (all rounds, against Ponder's backfill time): ${verdict('events')}`,
    `per-block prototype >= 1.0x Ponder end to end (all rounds, against Ponder's backfill time): ${verdict('blocks')}`,
    '',
    `CPU ms per log, per process (/proc utime + stime; workers from their ready, the indexer and Ponder from their start; Postgres and Redis left out: shared with other sessions), all rounds:`,
    '| process | per-event | per-block prototype | per-block / per-event |',
    '|---|---:|---:|---:|',
    ...cpuRows(rounds, n),
    `Ponder's process (its build included): ${((1000 * sum((r) => r.cpu.ponder)) / ROUNDS / n).toFixed(3)} CPU ms per log`,
    '',
    `databases exact (per-event and per-block = reference model; Ponder's vaults, trades, balances = the chain's logs): ${exact('events') && exact('blocks') && exact('ponder') ? 'PASS' : 'FAIL'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return exact('events') && exact('blocks') && exact('ponder') ? 0 : 1;
}

/** One row per process (and the total) of CPU ms per log, per-event beside per-block. */
function cpuRows(rounds: Round[], n: number): string[] {
  const perLog = (key: 'events' | 'blocks', name?: string) =>
    (1000 * rounds.reduce((a, r) => a + Object.entries(r.cpu[key]).reduce((b, [p, s]) => b + (name === undefined || p === name ? s : 0), 0), 0)) / rounds.length / n;
  const names = [...new Set(rounds.flatMap((r) => [...Object.keys(r.cpu.events), ...Object.keys(r.cpu.blocks)]))];
  const row = (label: string, e: number, b: number) => `| ${label} | ${e ? e.toFixed(3) : '-'} | ${b ? b.toFixed(3) : '-'} | ${e && b ? `${(b / e).toFixed(2)}x` : ''} |`;
  return [...names.map((p) => row(p, perLog('events', p), perLog('blocks', p))), row('total (ours, Postgres and Redis left out)', perLog('events'), perLog('blocks'))];
}

// backfill.ts (pnpm bench:indexer) imports sideBySide.
if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`bench:ponder failed: ${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
