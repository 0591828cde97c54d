import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/repo';

// docker/fetch-schema-engine.sh, the migrate image's build step: without Prisma's schema engine a
// production image must not build silently (it could only apply the SQL), unless
// ALLOW_SQL_MIGRATIONS=true says so. A stand-in `prisma` plays the download, failing or not.

const SCRIPT = join(ROOT, 'docker', 'fetch-schema-engine.sh');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vaults-engine-'));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fakePrisma(downloads: boolean): void {
  const engineDir = join(dir, 'node_modules', '@prisma', 'engines');
  const body = downloads
    ? `mkdir -p ${engineDir} && echo engine > ${engineDir}/schema-engine-debian-openssl-3.0.x && echo prisma 7`
    : 'echo "request to https://binaries.prisma.sh failed: getaddrinfo ENOTFOUND" >&2; exit 1';
  writeFileSync(join(dir, 'node_modules', '.bin', 'prisma'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, 'node_modules', '.bin', 'prisma'), 0o755);
}

const runScript = (env: Record<string, string> = {}) =>
  spawnSync('sh', [SCRIPT, dir], { encoding: 'utf8', env: { PATH: process.env.PATH, PRISMA_HOME: join(dir, 'home'), ...env } });

it('fails the build when the engine cannot be downloaded and nothing allows the SQL path', () => {
  fakePrisma(false);
  const r = runScript();
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/ALLOW_SQL_MIGRATIONS=true/);
  expect(existsSync(join(dir, 'schema-engine'))).toBe(false);
});

it('builds without the engine when ALLOW_SQL_MIGRATIONS=true', () => {
  fakePrisma(false);
  const r = runScript({ ALLOW_SQL_MIGRATIONS: 'true' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/will apply the migration SQL/);
  expect(existsSync(join(dir, 'schema-engine'))).toBe(false);
});

it('puts the downloaded engine where the image looks for it', () => {
  fakePrisma(true);
  const r = runScript();
  expect(r.status).toBe(0);
  expect(existsSync(join(dir, 'schema-engine'))).toBe(true);
});
