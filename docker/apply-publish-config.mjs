// pnpm deploy copies workspace dependencies (here @vaults/shared) into the output folder as they
// are in the repo, with "main": "src/index.ts"; it does not apply their publishConfig (checked with
// pnpm 12.21). This applies it: main/types/exports from publishConfig, so the runtime image loads
// the compiled dist/ and never the TypeScript sources. Usage: node apply-publish-config.mjs /out
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2];
if (!out) throw new Error('usage: apply-publish-config.mjs <deploy folder>');
const store = join(out, 'node_modules', '.pnpm');
const FIELDS = ['main', 'types', 'exports', 'module'];

let patched = 0;
for (const entry of existsSync(store) ? readdirSync(store) : []) {
  if (!entry.startsWith('@vaults+')) continue;
  const scope = join(store, entry, 'node_modules', '@vaults');
  for (const name of readdirSync(scope)) {
    const file = join(scope, name, 'package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    if (!pkg.publishConfig) continue;
    for (const field of FIELDS) if (field in pkg.publishConfig) pkg[field] = pkg.publishConfig[field];
    const main = join(scope, name, pkg.main ?? 'index.js');
    if (!existsSync(main)) throw new Error(`${pkg.name}: ${pkg.main} does not exist; was it built?`);
    // The deployed file may be a hard link to the workspace's own package.json: unlink, then write.
    rmSync(file);
    writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
    console.log(`${pkg.name}: main -> ${pkg.main}`);
    patched++;
  }
}
if (patched === 0) throw new Error(`no workspace package with publishConfig found under ${store}`);
