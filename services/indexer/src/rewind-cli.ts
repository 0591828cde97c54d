import { loadIndexerConfig } from './config';
import { RewindRefusedError, rewindStream } from './rewind';

// pnpm --filter @vaults/indexer rewind <block> [--dry-run]   (same environment as the indexer; indexer stopped)

const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const to = Number(args.find((a) => !a.startsWith('--')));
if (!Number.isInteger(to) || to < 0) {
  process.stderr.write('usage: rewind <block> [--dry-run]  (the last block both branches share, or any block below it)\n');
  process.exit(2);
}
rewindStream(loadIndexerConfig(process.env), to, { dryRun }).then(
  (r) => {
    const what = r.dryRun ? `dry run: the cursor stays at ${r.from}; a rewind to ${to} would enqueue` : `rewound from ${r.from} to ${r.to}:`;
    process.stdout.write(`${what} ${r.removals} removals (${r.checkedLogs} sent logs checked in ${r.pages} pages)\n`);
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`rewind ${err instanceof RewindRefusedError ? 'refused' : 'failed'}: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
