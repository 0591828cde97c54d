import { loadIndexerConfig } from './config';
import { rewindStream } from './rewind';

// pnpm --filter @vaults/indexer rewind <block>   (same environment as the indexer; indexer stopped)

const to = Number(process.argv[2]);
if (!Number.isInteger(to) || to < 0) {
  process.stderr.write('usage: rewind <block>  (the last block both branches share, or any block below it)\n');
  process.exit(2);
}
rewindStream(loadIndexerConfig(process.env), to).then(
  (r) => {
    process.stdout.write(`rewound from ${r.from} to ${r.to}: ${r.checkedLogs} sent logs checked, ${r.removals} removals enqueued\n`);
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`rewind failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
