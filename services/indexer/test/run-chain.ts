// pnpm test:chain: runs the indexer's chain suites (real anvil, Redis, Postgres) with jest, then
// prints what each test checked and a last line "N passed, M failed" (exit 1 on any failure).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'test-chain-'));
const out = join(dir, 'results.json');
const began = Date.now();
const jest = spawnSync(
  process.execPath,
  [require.resolve('jest/bin/jest', { paths: [root] }), '-c', join(__dirname, '..', 'jest.chain.config.js'), '--runInBand', '--json', `--outputFile=${out}`, ...process.argv.slice(2)],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
);
interface Result {
  testResults: { name: string; assertionResults: { fullName: string; status: string; duration?: number }[] }[];
}
let results: Result | undefined;
try {
  results = JSON.parse(readFileSync(out, 'utf8')) as Result;
} catch {
  process.stdout.write('test:chain: jest produced no results\n0 passed, 1 failed\n');
  process.exit(1);
}
rmSync(dir, { recursive: true, force: true });
let passed = 0;
let failed = 0;
process.stdout.write('\nindexer chain suites (anvil + Redis + Postgres + the four workers):\n');
for (const file of results.testResults) {
  process.stdout.write(`  ${file.name.replace(root + '/', '')}\n`);
  for (const t of file.assertionResults) {
    const ok = t.status === 'passed';
    if (ok) passed++;
    else failed++;
    process.stdout.write(`    ${ok ? 'PASS' : 'FAIL'}  ${t.fullName}${t.duration ? ` (${(t.duration / 1000).toFixed(1)} s)` : ''}\n`);
  }
}
process.stdout.write(`wall time ${((Date.now() - began) / 1000).toFixed(0)} s\n${passed} passed, ${failed} failed\n`);
process.exit(failed || jest.status ? 1 : 0);
