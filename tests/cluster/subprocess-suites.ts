import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { TEST_PG_URL, type LocalCluster } from '@vaults/testkit';
import { ROOT } from '../faults/lib/workers';
import type { Checks } from './checks';

// The existing suites, pointed at the cluster: the contract rules and a reduced property test
// (jest, TEST_REDIS_URL = the cluster's URL), and the demo (REDIS_URL = the cluster's URL).

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, label: string): Promise<{ code: number | null; tail: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    for (const s of [child.stdout, child.stderr]) {
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => {
        for (const line of chunk.split('\n').filter(Boolean)) {
          tail.push(line);
          if (tail.length > 40) tail.shift();
          if (process.env.CLUSTER_VERBOSE) process.stdout.write(`  [${label}] ${line}\n`);
        }
      });
    }
    child.on('exit', (code) => resolve({ code, tail }));
  });
}

interface JestJson {
  testResults: { name: string; assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
}

/** Each jest test is one check of the suite. */
export async function jestOnCluster(cluster: LocalCluster, checks: Checks, files: string[], env: Record<string, string> = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-jest-'));
  const out = join(dir, 'results.json');
  try {
    const r = await run(process.execPath, [require.resolve('jest/bin/jest'), '--runInBand', '--selectProjects', 'integration', '--json', '--outputFile', out, ...files],
      { TEST_REDIS_URL: cluster.url(), ...env }, 'jest');
    let results: JestJson;
    try {
      results = JSON.parse(readFileSync(out, 'utf8')) as JestJson;
    } catch {
      checks.add(`jest ${files.join(' ')} on the cluster`, false, `no results (exit ${r.code}):\n${r.tail.join('\n')}`);
      return;
    }
    for (const file of results.testResults) {
      for (const t of file.assertionResults) {
        checks.add(`jest ${file.name.replace(ROOT + '/', '')}: ${t.fullName}`, t.status === 'passed', t.failureMessages.join('\n').split('\n').slice(0, 6).join('\n'));
      }
    }
    if (!results.testResults.length) checks.add(`jest ${files.join(' ')} on the cluster`, false, 'no tests ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** pnpm demo against the cluster, on a database of its own (the demo's name must say "demo"). */
export async function demoOnCluster(cluster: LocalCluster, checks: Checks): Promise<void> {
  const name = `vaults_demo_cluster_${Date.now().toString(36)}`;
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  try {
    const r = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/demo/main.ts')],
      { REDIS_URL: cluster.url(), DATABASE_URL: url.toString(), DEMO_QUEUE_PREFIX: `demo-cl-${Date.now().toString(36)}`, DEMO_TRADES: process.env.CLUSTER_DEMO_TRADES ?? '2000' }, 'demo');
    const verdict = r.tail.find((l) => /reference model/i.test(l)) ?? r.tail.slice(-3).join(' / ');
    checks.add('demo stream on the cluster (pnpm demo, REDIS_URL=redis+cluster://…)', r.code === 0, r.code === 0 ? verdict.trim() : `exit ${r.code}:\n${r.tail.join('\n')}`);
  } finally {
    const admin = new Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => admin.end());
  }
}
