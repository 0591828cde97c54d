// The Markdown table every bench report prints, and a target's PASS/MISS row: no imports, so
// the pure report parts (ab-report.ts, cost-targets.ts) and their unit tests stay light.

export interface Target {
  name: string;
  goal: string;
  measured: string;
  pass: boolean;
}

export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  return [fmt(head), '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|', ...cells.slice(1).map(fmt)].join('\n');
}
