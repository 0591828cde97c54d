import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkRow, type Row } from '../lib/scenario';
import { ROOT } from '../lib/workers';

// "SQL is only ever built with parameters", checked statically over the services' and the shared
// package's sources (generated Prisma code excluded):
// - Prisma's unsafe entry points ($queryRawUnsafe, $executeRawUnsafe, Prisma.raw) are not used;
// - the Sql layer's query / execute (platform/db.ts) and Prisma's $queryRaw / $executeRaw are
//   only used as tagged templates (each ${} is a bound parameter), never called with a string;
// - node-postgres `.query(...)` gets a plain string literal (values as $1.. parameters), never a
//   template with ${} or a string built with +. The one exception allowed is an identifier
//   quoted the way Postgres quotes it ("..." with " doubled), which cannot be a parameter;
// - a ${} of a Sql tagged template may hold a SqlFragment (spliced into the text, not bound):
//   fragments are made only in platform/sql-fragment.ts, by its own tagged template (values
//   bound) and from plain identifiers it checks (the generated "copies agree" predicates), so
//   `new SqlFragment(` anywhere else is a finding.

const ROOTS = ['packages/shared/src', ...readdirSync(join(ROOT, 'services')).map((s) => `services/${s}/src`)];

function sources(dir: string): string[] {
  let out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (name === 'generated' || name === 'node_modules') continue;
    if (statSync(p).isDirectory()) out = out.concat(sources(p));
    else if (/\.(ts|js|mjs|cjs)$/.test(name) && !/\.d\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** The text of the call's first argument: from `(` to the comma or `)` at depth 0. */
function firstArgument(text: string, open: number): string {
  let depth = 0;
  let i = open;
  let quote: string | null = null;
  const templateDepth: number[] = [];
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') {
        i++;
        continue;
      }
      if (quote === '`' && c === '$' && text[i + 1] === '{') {
        templateDepth.push(depth);
        quote = null;
        depth++;
        i++;
        continue;
      }
      if (c === quote) quote = null;
      continue;
    }
    if (c === '/' && /[(,=:[!&|?{};]\s*$/.test(text.slice(Math.max(0, i - 20), i))) {
      // A regular expression literal: skip it (its quotes are not strings).
      for (i++; i < text.length && text[i] !== '/'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (c === '}' && templateDepth.length && templateDepth[templateDepth.length - 1] === depth) {
        templateDepth.pop();
        quote = '`';
        continue;
      }
      if (depth === 0) break;
    } else if (c === ',' && depth === 1) break;
  }
  return text.slice(open + 1, i).trim();
}

const QUOTED_IDENTIFIER = /^"\$\{[^}]*\.replace\(\/"\/g, '""'\)\}"$/;

/** The one file that may construct a SqlFragment. */
const FRAGMENT_MAKER = 'packages/shared/src/platform/sql-fragment.ts';

export interface SqlFinding {
  file: string;
  line: number;
  what: string;
}

/** Findings in one source text (exported for the checker's own self-test). */
export function scanText(text: string, rel: string): { calls: number; findings: SqlFinding[]; allowed: SqlFinding[] } {
  const findings: SqlFinding[] = [];
  const allowed: SqlFinding[] = [];
  let calls = 0;
  const lineOf = (i: number) => text.slice(0, i).split('\n').length;
  for (const m of text.matchAll(/\$(queryRawUnsafe|executeRawUnsafe)\b|Prisma\.raw\s*\(/g)) {
    findings.push({ file: rel, line: lineOf(m.index!), what: `uses ${m[0]}` });
  }
  if (rel !== FRAGMENT_MAKER) {
    for (const m of text.matchAll(/new\s+SqlFragment\s*\(/g)) {
      findings.push({ file: rel, line: lineOf(m.index!), what: `constructs a SqlFragment outside ${FRAGMENT_MAKER}` });
    }
  }
  // Tagged-template calls of the Sql layer (`tx.query<T>`...``, `sql.execute`...``): parameters.
  for (const _ of text.matchAll(/\.(query|execute)\b(\s*<[^`(]*?>)?\s*`/g)) calls++;
  for (const m of text.matchAll(/\.execute\b(\s*<[^`(]*?>)?\s*\(/g)) {
    const arg = firstArgument(text, m.index! + m[0].length - 1);
    calls++;
    findings.push({ file: rel, line: lineOf(m.index!), what: `execute called with ${arg.slice(0, 60)} (not a tagged template)` });
  }
  for (const m of text.matchAll(/\$(queryRaw|executeRaw)\b(\s*<[^`(]*?>)?\s*(\(|`)/g)) {
    if (m[3] === '(') {
      const arg = firstArgument(text, m.index! + m[0].length - 1);
      // A method's declaration or definition (`$queryRaw(strings: TemplateStringsArray, …)`,
      // the tagged-template implementation itself), not a call.
      if (/^[A-Za-z_$][\w$]*\s*:/.test(arg)) continue;
      calls++;
      if (!/^Prisma\.sql`/.test(arg)) findings.push({ file: rel, line: lineOf(m.index!), what: `$${m[1]} called with ${arg.slice(0, 60)} (not a tagged template)` });
    } else {
      calls++;
    }
  }
  for (const m of text.matchAll(/\.query\s*(<[^(]*?>)?\s*\(/g)) {
    calls++;
    const arg = firstArgument(text, m.index! + m[0].length - 1);
    const where = { file: rel, line: lineOf(m.index!) };
    const template = arg.startsWith('`');
    const interpolations = template ? [...arg.matchAll(/"?\$\{[^}]*\}"?/g)].map((x) => x[0]) : [];
    if (/^['"`][\s\S]*['"`]\s*\+|\+\s*['"`]/.test(arg) || /^[A-Za-z_$][\w$.]*\s*\+/.test(arg)) {
      findings.push({ ...where, what: `query() with SQL built by +: ${arg.slice(0, 80)}` });
    } else if (interpolations.length) {
      const unsafe = interpolations.filter((x) => !QUOTED_IDENTIFIER.test(x));
      if (unsafe.length) findings.push({ ...where, what: `query() with \${} in the SQL text: ${unsafe.join(' ')}` });
      else allowed.push({ ...where, what: `identifier quoted as Postgres does: ${interpolations.join(' ')}` });
    }
  }
  return { calls, findings, allowed };
}

export function scanSql(): { files: number; calls: number; findings: SqlFinding[]; allowed: SqlFinding[] } {
  const out = { files: 0, calls: 0, findings: [] as SqlFinding[], allowed: [] as SqlFinding[] };
  for (const file of ROOTS.flatMap((r) => sources(join(ROOT, r)))) {
    const r = scanText(readFileSync(file, 'utf8'), relative(ROOT, file));
    out.files++;
    out.calls += r.calls;
    out.findings.push(...r.findings);
    out.allowed.push(...r.allowed);
  }
  return out;
}

/** Snippets the check must flag: a checker that passes everything would be worse than none. */
const MUST_FLAG = [
  'await client.query(`SELECT * FROM "User" WHERE id = ${id}`);',
  "await client.query('SELECT * FROM \"User\" WHERE id = ' + id);",
  'await client.query(sql + where);',
  'await prisma.$queryRawUnsafe(`SELECT ${x}`);',
  'await tx.$executeRawUnsafe("DELETE FROM t WHERE a = " + a);',
  'await tx.$queryRaw(Prisma.raw(text));',
  'await tx.$executeRaw(text);',
  'await tx.execute(text);',
  "await client.query('DELETE FROM t WHERE a = ' + a);",
  'await tx.query`SELECT ${new SqlFragment([input], [])}`;',
];
const MUST_PASS = [
  'await client.query(\'SELECT 1 FROM pg_database WHERE datname = $1\', [name]);',
  'await tx.$queryRaw`SELECT * FROM "User" WHERE id = ${id}`;',
  'await admin.query(`CREATE DATABASE "${name.replace(/"/g, \'""\')}"`);',
  '$queryRaw<T = unknown>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T>;',
  'await tx.query<{ id: number }>`SELECT id FROM "User" WHERE id = ${id}`;',
  'await sql.execute`DELETE FROM "User" WHERE id = ${id}`;',
  'await tx.query`SELECT * FROM x WHERE ${copyAgrees(\'TradeExecuted\', \'e\')} AND id = ${id}`;',
];

export function selfTest(): string[] {
  const problems: string[] = [];
  for (const s of MUST_FLAG) if (!scanText(s, 'self-test').findings.length) problems.push(`the checker misses: ${s}`);
  for (const s of MUST_PASS) if (scanText(s, 'self-test').findings.length) problems.push(`the checker wrongly flags: ${s}`);
  return problems;
}

export function sqlStaticCheck(): Row {
  const { files, calls, findings, allowed } = scanSql();
  return checkRow(
    'S2 SQL built only with parameters (static)',
    [...selfTest(), ...findings.map((f) => `${f.file}:${f.line}: ${f.what}`)],
    [`${files} source files, ${calls} SQL calls checked${allowed.length ? `; allowed: ${allowed.map((a) => `${a.file}:${a.line} ${a.what}`).join('; ')}` : ''}`],
  );
}
