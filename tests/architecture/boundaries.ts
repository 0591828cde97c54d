import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// The import rules of docs/ARCHITECTURE.md, as a check over the sources:
// 1. Nothing imports another package's files: `@vaults/<pkg>` only, never `@vaults/<pkg>/src/...`,
//    and no relative path into another package's folder (bench/, scripts/ and tests/ included).
// 2. Inside @vaults/shared, the folders import each other only through their index and in one
//    direction: contract imports nothing of the package; platform imports contract;
//    vault-events imports contract and platform.
// 3. BullMQ is known only to platform/ in @vaults/shared: no other folder of it, no worker service
//    and not the indexer imports `bullmq` (they get a handler map and a Producer). The operations
//    CLI and the queue dashboard read queues with it directly; tests, bench and scripts may too.
// 4. No arrow back up: nothing under packages/ or services/ imports scripts/, bench/ or tests/.

export const ROOT = join(__dirname, '..', '..');
const SKIP = new Set(['node_modules', 'dist', 'generated', '.build', 'bench-results']);

/** The package folder a file belongs to (packages/x, services/x), or its top folder (bench, tests, scripts). */
export function ownerOf(file: string): string {
  const parts = relative(ROOT, file).split(sep);
  return parts[0] === 'packages' || parts[0] === 'services' ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

const SHARED_SRC = join('packages', 'shared', 'src');
const ALLOWED: Record<string, string[]> = { contract: [], platform: ['contract'], 'vault-events': ['contract', 'platform'] };

/** The subpaths a workspace package declares in its package.json "exports" (".", "./package.json"). */
function declaredEntries(name: string): string[] {
  for (const dir of ['packages', 'services']) {
    for (const d of readdirSync(join(ROOT, dir))) {
      const file = join(ROOT, dir, d, 'package.json');
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; exports?: Record<string, string> };
        if (pkg.name === name) return Object.keys(pkg.exports ?? {});
      } catch {
        // not a package folder
      }
    }
  }
  return [];
}

/** Source folders that must not import BullMQ (rule 3), relative to the repository root. */
const WITHOUT_BULLMQ = [/^packages\/shared\/src\/(?!platform\/)/, /^services\/[a-z]+-worker\/src\//, /^services\/indexer\/src\//];

/** Why this import breaks a rule, or undefined. `file` absolute, `spec` as written. */
export function violation(file: string, spec: string): string | undefined {
  if (/^bullmq(\/|$)/.test(spec) && WITHOUT_BULLMQ.some((re) => re.test(relative(ROOT, file).split(sep).join('/')))) {
    return `imports ${spec}: only packages/shared/src/platform/ knows BullMQ (use the runner's handlers or the Producer)`;
  }
  const m = /^(@vaults\/[^/]+)\/(.+)$/.exec(spec);
  if (m && !declaredEntries(m[1]!).includes(`./${m[2]}`)) return `imports ${spec}: another package's internals (use an entry its package.json "exports" declares)`;
  if (!spec.startsWith('.')) return undefined;
  const target = resolve(dirname(file), spec);
  const from = ownerOf(file);
  const to = ownerOf(target);
  if (from !== to && (to.startsWith('packages/') || to.startsWith('services/'))) {
    return `imports ${spec}: a file of ${to} from outside it (use its entry)`;
  }
  if ((from.startsWith('packages/') || from.startsWith('services/')) && ['scripts', 'bench', 'tests'].includes(to)) {
    return `imports ${spec}: ${to}/ from a package (move what both need into a package, e.g. @vaults/testkit)`;
  }
  const rel = relative(join(ROOT, SHARED_SRC), file).split(sep);
  const relTarget = relative(join(ROOT, SHARED_SRC), target).split(sep);
  if (rel[0] === '..' || relTarget[0] === '..' || rel.length < 2) return undefined; // not between folders of shared/src
  const [fromFolder, toFolder] = [rel[0]!, relTarget[0]!];
  if (fromFolder === toFolder || toFolder === 'generated') return undefined;
  if (!(fromFolder in ALLOWED)) return undefined;
  if (!ALLOWED[fromFolder]!.includes(toFolder)) return `imports ${spec}: ${fromFolder} may import only ${ALLOWED[fromFolder]!.join(', ') || 'itself'}`;
  if (relTarget.length > 1 && relTarget[1] !== 'index') return `imports ${spec}: another folder's file (import its index, ../${toFolder})`;
  return undefined;
}

function sources(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(sources(p));
    else if (/\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every import / require / export-from specifier of a source text. */
export function specifiers(text: string): string[] {
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...text.matchAll(re)].map((m) => (m[1] ?? m[2] ?? m[3] ?? m[4])!);
}

/** Every TypeScript source of the repository (generated code and dependencies left out). */
export function repositorySources(): string[] {
  return ['packages', 'services', 'tests', 'bench', 'scripts'].flatMap((d) => sources(join(ROOT, d)));
}

export function scanRepository(): { files: number; problems: string[] } {
  const files = repositorySources();
  const problems: string[] = [];
  for (const f of files) {
    for (const spec of specifiers(readFileSync(f, 'utf8'))) {
      const v = violation(f, spec);
      if (v) problems.push(`${relative(ROOT, f)}: ${v}`);
    }
  }
  return { files: files.length, problems };
}
