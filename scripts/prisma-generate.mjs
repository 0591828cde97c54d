// Generates the Prisma client after install. Prisma 7's CLI wants a native schema engine that it
// downloads on first use; `generate` never runs it, so where the download is impossible (no access
// to Prisma's binary host) we point PRISMA_SCHEMA_ENGINE_BINARY at an existing file.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
const prismaBin = `${root}/node_modules/.bin/prisma`;
if (!existsSync(prismaBin)) {
  console.log('prisma CLI not installed (production install); skipping client generation');
  process.exit(0);
}
execFileSync(prismaBin, ['generate'], { cwd: root, env, stdio: 'inherit' });
