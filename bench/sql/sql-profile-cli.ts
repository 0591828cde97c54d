import { runOnScratchDatabase } from './scratch';
import { profileSql, type SqlProfile } from './sql-profile';
import { measureWriterCpu } from './writer-cpu';

// `pnpm exec tsx bench/sql/sql-profile-cli.ts [batchSize] [batches]`: the batch writers' SQL profile
// alone (profileSql, which `pnpm bench` runs at its end), on a throwaway database of its own.
// Prints, per writer and client, the statements per batch and each statement's median; then
// the CPU per batch of each writer, client and Postgres backend (writer-cpu.ts).

runOnScratchDatabase('vaults_sqlprof', async (pg, url) => {
  const batchSize = Number(process.argv[2] ?? 100);
  const batches = Number(process.argv[3] ?? 20);
  for (const p of await profileSql(pg, url, batchSize, batches)) process.stdout.write(render(p));
  for (const c of await measureWriterCpu(pg, url, batchSize)) {
    process.stdout.write(`${c.operation} CPU per batch (${c.batches} batches, one connection): client ${c.clientMsPerBatch} ms, postgres backend ${c.postgresMsPerBatch} ms\n`);
  }
});

function render(p: SqlProfile): string {
  const perBatch = p.statements.reduce((a, s) => a + s.calls, 0);
  const lines = p.statements.map((s) => `  ${s.medianMs.toFixed(2).padStart(7)} ms  x${s.calls}  ${s.statement}`);
  return [
    `${p.operation} (${p.client}, ${p.batches} batches of ${p.batchSize}): ${perBatch} statements per batch, batch median ${p.batchMs} ms, outside statements ${p.outsideStatementsMs} ms`,
    ...lines,
    '',
  ].join('\n') + '\n';
}
