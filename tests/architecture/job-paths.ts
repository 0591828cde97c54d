import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './boundaries';

// The files a job goes through, from the imports: docs/ARCHITECTURE.md states a count per job
// path, and tests/architecture/job-paths.test.ts compares it with what this walk finds.
//
// The walk starts at the files that handle every job (the worker lanes that dequeue it, the job
// processor that validates and dispatches it) and the service's definition (its handlers), and
// follows each imported name to the file that declares it, through the `export *` of the index
// files. A name declared as a function, class, constant or enum brings its file in (a type-only
// import of a class counts: the class arrives injected, e.g. the Producer in the Infra); a name
// declared only as an interface or a type alias does not (no code runs there). Index files that
// only re-export are not counted, nor the files the map lists as passed through without logic of
// the job (PASSED_THROUGH in the document).

export const ARCHITECTURE = join(ROOT, 'docs', 'ARCHITECTURE.md');

/** What every queued job goes through before its handler (dequeue, validation, dispatch, failure policy). */
export const DISPATCH = ['packages/shared/src/platform/worker-lanes.ts', 'packages/shared/src/platform/job-processor.ts'];

/** Where a path starts: a worker's definition after the dispatch; the indexer at its own loop. */
const startsOf = (start: string) => (/^services\/[a-z]+-worker\//.test(start) ? [...DISPATCH, start] : [start]);

const text = (file: string) => readFileSync(file, 'utf8');

/** The file a workspace package's entry points to (`@vaults/shared` -> packages/shared/src/index.ts). */
function packageEntry(spec: string): string | undefined {
  const m = /^(@vaults\/[^/]+)(\/.+)?$/.exec(spec);
  if (!m) return undefined;
  for (const dir of ['packages', 'services']) {
    const pkgDir = join(ROOT, dir, m[1]!.slice('@vaults/'.length));
    const pkgFile = join(pkgDir, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(text(pkgFile)) as { name: string; exports?: Record<string, string> };
    const target = pkg.name === m[1] ? pkg.exports?.[`.${m[2] ?? ''}`] : undefined;
    if (target) return join(pkgDir, target);
  }
  return undefined;
}

/** The source file an import specifier names, or undefined for a module outside the workspace. */
export function resolveSpec(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return packageEntry(spec);
  const base = resolve(dirname(from), spec);
  return [`${base}.ts`, join(base, 'index.ts'), base].find((f) => existsSync(f) && f.endsWith('.ts'));
}

interface Import {
  spec: string;
  /** The names imported; undefined for a whole-module import (namespace, default, side effect). */
  names?: string[];
}

/** The imports and re-exports of a source text, each with the names it brings in. */
export function importsOf(source: string): Import[] {
  const out: Import[] = [];
  const named = /(?:^|\n)\s*import\s+(?:type\s+)?(?:([\w$]+)\s*,\s*)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(named)) {
    const names = m[2]!.split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!).filter(Boolean);
    out.push({ spec: m[3]!, names });
    if (m[1]) out.push({ spec: m[3]! });
  }
  const whole = /(?:^|\n)\s*import\s+(?:type\s+)?(?:\*\s+as\s+[\w$]+|[\w$]+)\s+from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(whole)) out.push({ spec: (m[1] ?? m[2])! });
  return out;
}

const DECLARATION = (name: string) =>
  new RegExp(`(?:^|\\n)\\s*export\\s+(?:declare\\s+)?(?:default\\s+)?(?:async\\s+)?(?:abstract\\s+)?(function\\*?|class|const|let|var|enum|interface|type)\\s+${name.replace(/\$/g, '\\$')}\\b`);

/**
 * The file that declares `name`, reached from `file` through `export * from` (index files), and
 * whether the declaration is code (a function, class, constant) rather than only a type.
 */
export function declarationOf(file: string, name: string, seen = new Set<string>()): { file: string; code: boolean } | undefined {
  if (seen.has(file)) return undefined;
  seen.add(file);
  const source = text(file);
  const own = DECLARATION(name).exec(source);
  if (own) return { file, code: own[1] !== 'interface' && own[1] !== 'type' };
  for (const m of source.matchAll(/(?:^|\n)\s*export\s+(?:type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
    const names = m[1]!.split(',').map((n) => n.trim().split(/\s+as\s+/));
    const hit = names.find((n) => (n[1] ?? n[0]) === name);
    const target = resolveSpec(file, m[2]!);
    if (hit && target) return declarationOf(target, hit[0]!, seen);
  }
  for (const m of source.matchAll(/(?:^|\n)\s*export\s+\*\s+from\s*['"]([^'"]+)['"]/g)) {
    const target = resolveSpec(file, m[1]!);
    const found = target && declarationOf(target, name, seen);
    if (found) return found;
  }
  return undefined;
}

/** Every file with code that `roots` reach by following imported names (relative to the repository root, sorted). */
export function reach(roots: string[]): string[] {
  const found = new Set<string>();
  const queue = roots.map((r) => join(ROOT, r));
  while (queue.length) {
    const file = queue.pop()!;
    if (found.has(file)) continue;
    found.add(file);
    for (const imp of importsOf(text(file))) {
      const target = resolveSpec(file, imp.spec);
      if (!target) continue;
      if (!imp.names) {
        queue.push(target);
        continue;
      }
      for (const name of imp.names) {
        const decl = declarationOf(target, name);
        if (decl?.code) queue.push(decl.file);
      }
    }
  }
  return [...found].map((f) => relative(ROOT, f)).sort();
}

/** One row of the map's table of job paths. */
export interface JobPathRow {
  line: number;
  jobs: string;
  /** Where the path starts: a worker's definition file (its handlers), or the indexer's loop. */
  service: string;
  files: number;
}

/** The rows of the table under "The path of each job": `| jobs | `start file` | count |`. */
export function jobPathRows(doc: string): JobPathRow[] {
  const rows: JobPathRow[] = [];
  doc.split('\n').forEach((l, i) => {
    const m = /^\|\s*([^|]+?)\s*\|\s*`(services\/[^`]+\.ts)`\s*\|\s*(\d+)\s*\|/.exec(l);
    if (m) rows.push({ line: i + 1, jobs: m[1]!, service: m[2]!, files: Number(m[3]) });
  });
  return rows;
}

/** The files the map names as passed through without logic of a job (the PASSED_THROUGH line). */
export function passedThrough(doc: string): string[] {
  const line = doc.split('\n').find((l) => l.startsWith('PASSED_THROUGH:'));
  return line ? [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]!) : [];
}

/** The files of one job path with logic of the job: reached from the dispatch and the service, less index files and what is passed through. */
export function pathFiles(start: string, passed: string[]): string[] {
  return reach(startsOf(start)).filter((f) => !f.endsWith('/index.ts') && !passed.includes(f));
}

/** What is wrong with one row, in words that say which number to put where; undefined when it is right. */
export function rowProblem(row: JobPathRow, files: string[], doc = 'docs/ARCHITECTURE.md'): string | undefined {
  if (row.files === files.length) return undefined;
  return (
    `${doc} line ${row.line}, job path "${row.jobs}": the table says ${row.files} files with logic, the imports give ${files.length}. ` +
    `Put ${files.length} in that row's third column (and, if the path changed, its description below). ` +
    `The files: ${files.join(', ')}. A file that only passes values through belongs on the PASSED_THROUGH line instead.`
  );
}
