// pnpm bench:ponder: backfill beside Ponder. One local anvil chain, built as
// `pnpm bench:indexer` builds it (backfill.ts: BENCH_INDEXER_LOGS trade logs, default 50,000);
// then BENCH_PONDER_ROUNDS rounds (default 3) alternating the order (ours first, then Ponder
// first, ...), each run on a fresh database:
//   - ours: end to end, the indexer and the four workers into Postgres, until every queue
//     drained, the database then checked against the reference model (backfill.ts run());
//   - Ponder: the app in bench/ponder (its own install: `npm ci` there), from `ponder start`
//     until /ready, its tables then checked against the chain's logs (ponder-run.ts).
// Prints logs/s of both per round and over all rounds, and PASS/MISS for ours >= 1.0x Ponder.
import { cpus, loadavg } from 'node:os';
import { run, withBenchChain } from './backfill';
import { ponderMissing, runPonder } from './ponder-run';

const ROUNDS = Number(process.env.BENCH_PONDER_ROUNDS ?? 3);
const log = (m: string) => process.stderr.write(`[bench:ponder ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

interface Round {
  ours: number;
  ponder: number;
  ponderIndexing: number;
  oursExact: boolean;
  ponderExact: boolean;
  load: number;
}

async function main(): Promise<number> {
  const missing = ponderMissing();
  if (missing) {
    process.stderr.write(`bench:ponder: ${missing}\n`);
    return 2;
  }
  return withBenchChain(async (chain, events, head) => {
    const n = events.length;
    log(`chain ready: ${n} logs in blocks ${chain.factoryBlock}..${head}; ${ROUNDS} rounds, alternating`);
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r: Partial<Round> = { load: loadavg()[0]! };
      const ours = async () => {
        log(`round ${i + 1}: ours (indexer + four workers into Postgres)`);
        const o = await run(chain, events, true);
        r.ours = o.seconds;
        r.oursExact = o.differences?.length === 0;
        if (!r.oursExact) log(`ours: ${o.differences!.length} differences, e.g. ${o.differences!.slice(0, 3).join('; ')}`);
      };
      const ponder = async () => {
        log(`round ${i + 1}: Ponder`);
        const p = await runPonder(chain, events, (line) => process.stderr.write(`${line}\n`));
        r.ponder = p.seconds;
        r.ponderIndexing = p.indexingSeconds;
        r.ponderExact = p.differences.length === 0;
        if (!r.ponderExact) log(`Ponder: ${p.differences.length} differences, e.g. ${p.differences.slice(0, 3).join('; ')}`);
      };
      for (const step of i % 2 === 0 ? [ours, ponder] : [ponder, ours]) await step();
      rounds.push(r as Round);
    }

    const rate = (s: number) => Math.round(n / s);
    const sum = (f: (r: Round) => number) => rounds.reduce((a, r) => a + f(r), 0);
    // Judged against Ponder's indexing alone (its build and start-up left out): the stricter one.
    const ratio = sum((r) => r.ponderIndexing) / sum((r) => r.ours);
    const exact = rounds.every((r) => r.oursExact && r.ponderExact);
    const row = (label: string, load: number, ours: number, ponder: number, indexing: number, ok: boolean) =>
      `| ${label} | ${load.toFixed(1)} | ${rate(ours)} | ${rate(ponder)} | ${rate(indexing)} | ${(indexing / ours).toFixed(2)}x | ${ok ? 'yes' : 'NO'} |`;
    const lines = [
      '',
      `backfill beside Ponder: ${n} logs in ${head - chain.factoryBlock + 1} blocks, ${cpus().length} cores, ${ROUNDS} alternating rounds (odd rounds ours first)`,
      '| round | load avg | ours logs/s (indexer start to every queue drained) | Ponder logs/s (ponder start to every row) | Ponder logs/s (backfill start to every row) | ours / Ponder (backfill) | both exact |',
      '|---|---:|---:|---:|---:|---:|---|',
      ...rounds.map((r, i) => row(String(i + 1), r.load, r.ours, r.ponder, r.ponderIndexing, r.oursExact && r.ponderExact)),
      row('all', loadavg()[0]!, sum((r) => r.ours) / ROUNDS, sum((r) => r.ponder) / ROUNDS, sum((r) => r.ponderIndexing) / ROUNDS, exact),
      `ours >= 1.0x Ponder end to end (all rounds, against Ponder's backfill time): ${ratio >= 1 ? 'PASS' : 'MISS'} (${ratio.toFixed(2)}x)`,
      `databases exact (ours = reference model; Ponder's vaults, trades, balances = the chain's logs): ${exact ? 'PASS' : 'FAIL'}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return exact ? 0 : 1;
  });
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench:ponder failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
