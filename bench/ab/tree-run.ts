import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, TEST_PG_URL, type AnyEvent, type TestDatabase } from '@vaults/testkit';
import { evalIn, type Tree } from './tree';
import { verifyState, type Verification } from '../lib/verify';

// What the bench asks of a tree's own code rather than of this checkout's: the baseline's
// database is created and migrated by the baseline's migrations (schemas differ between
// commits), and read back for the reference-model check by the baseline's testkit (readState
// knows its own schema). For the current tree, the same calls run in this process.

/** A fresh database migrated with the tree's migrations; drop() removes it. */
export async function createTreeDatabase(tree: Tree, prefix: string): Promise<TestDatabase> {
  if (tree.label === 'current') return createTestDatabase(prefix);
  const { url, name } = evalIn<{ url: string; name: string }>(
    tree.root,
    `require('@vaults/testkit').createTestDatabase(${JSON.stringify(prefix)}).then((d) => console.log(JSON.stringify({ url: d.url, name: d.name })))`,
  );
  return { url, name, drop: () => dropDatabase(name) };
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** The reference-model check of verify.ts, run with the tree's own testkit. */
export async function verifyInTree(tree: Tree, databaseUrl: string, delivered: AnyEvent[]): Promise<Verification> {
  if (tree.label === 'current') return verifyState(databaseUrl, delivered);
  const file = join(tree.root, '.bench-delivered.json');
  writeFileSync(file, JSON.stringify(delivered));
  const code = `
    const t = require('@vaults/testkit');
    const delivered = JSON.parse(require('node:fs').readFileSync(process.env.BENCH_DELIVERED, 'utf8'));
    t.readState(process.env.BENCH_DATABASE_URL).then((state) => {
      const diffs = t.diffStates(t.expectedState(delivered), state);
      console.log(JSON.stringify({ ok: diffs.length === 0, differences: diffs.length, sample: diffs.slice(0, 5) }));
    });`;
  return evalIn<Verification>(tree.root, code, { BENCH_DELIVERED: file, BENCH_DATABASE_URL: databaseUrl });
}
