import { readFileSync } from 'node:fs';

// Reads a V8 .cpuprofile (node --cpu-prof) and prints where the time went: self time by
// function and by module, and inclusive time by function (each sample counts once for every
// distinct function on its stack). Usage: tsx bench/worker/cpuprofile-summary.ts <file> [top=25]

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/.pnpm/<pkg>@<v>/node_modules/<pkg>/x.js -> <pkg>; our code -> its folder. */
export function moduleOf(url: string): string {
  if (!url) return '(native/gc/idle)';
  const nm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return url;
  const ours = /(packages\/[^/]+\/src\/[^/]+|services\/[^/]+\/src|bench-results\/[^/]+)/.exec(url);
  return ours ? ours[1]! : url.replace(/^file:\/\//, '');
}

export function summarise(p: Profile) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${moduleOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const selfModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalUs = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') return;
    totalUs += dt;
    add(self, key(n), dt);
    add(selfModule, moduleOf(n.callFrame.url), dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (!seen.has(k)) inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
      seen.add(k);
    }
  });
  return { totalUs, self, selfModule, inclusive };
}

function add(m: Map<string, number>, k: string, v: number) {
  m.set(k, (m.get(k) ?? 0) + v);
}

function top(m: Map<string, number>, totalUs: number, n: number): string[] {
  return [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}

export function report(file: string, n = 25): string {
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  return [
    `${file}: ${(s.totalUs / 1000).toFixed(0)} ms on CPU (idle excluded)`,
    'self time by module:', ...top(s.selfModule, s.totalUs, n),
    'self time by function:', ...top(s.self, s.totalUs, n),
    'inclusive time by function:', ...top(s.inclusive, s.totalUs, n),
  ].join('\n');
}

if (require.main === module) {
  const [file, n] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpuprofile-summary.ts <file.cpuprofile> [top]');
  console.log(report(file, Number(n ?? 25)));
}
