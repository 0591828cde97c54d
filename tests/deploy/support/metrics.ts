import { createMetrics } from '@vaults/shared';
import { createIndexerMetrics } from '@vaults/indexer';

// Metric names: the ones a worker really exports (from its registry) and the ones a PromQL
// expression uses. Not a full PromQL parser: it removes what cannot be a metric name (strings,
// label matchers, grouping clauses, durations, Grafana variables, function calls, keywords) and
// reads the identifiers that are left.

/** Series names the services export (workers and indexer), with each histogram's _bucket/_sum/_count. */
export async function exportedSeriesNames(): Promise<Set<string>> {
  const metrics = [
    ...(await createMetrics('deploy-test').registry.getMetricsAsJSON()),
    ...(await createIndexerMetrics('deploy-test').registry.getMetricsAsJSON()),
  ];
  const names = new Set<string>();
  for (const m of metrics) {
    names.add(m.name);
    const type = String(m.type); // 'histogram' at run time; prom-client's typings say an enum
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan', 'atan2']);

export function metricNamesIn(expr: string): string[] {
  let s = expr;
  // Grafana's label_values(metric, label): the second argument is a label, not a metric.
  s = s.replace(/label_values\(\s*([a-zA-Z_:][\w:]*)?\s*(\{[^}]*\})?\s*,\s*\w+\s*\)/g, ' $1 ');
  s = s.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' '); // strings
  s = s.replace(/\{[^}]*\}/g, ' '); // label matchers
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // grouping labels
  s = s.replace(/\[[^\]]*\]/g, ' '); // ranges and subqueries
  s = s.replace(/\boffset\s+-?(\d+(ms|[smhdwy]))+/g, ' '); // offsets
  s = s.replace(/\$\{[^}]*\}|\$\w+/g, ' '); // Grafana variables
  s = s.replace(/\b\d+(\.\d+)?([eE][+-]?\d+)?\b/g, ' '); // numbers
  const names = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const after = s.slice(m.index! + m[0].length);
    if (/^\s*\(/.test(after)) continue; // a function call, or an aggregation
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Label values an expression matches exactly, e.g. labelValues(expr, 'queue'). */
export function labelValues(expr: string, label: string): string[] {
  return [...expr.matchAll(new RegExp(`\\b${label}\\s*=\\s*"([^"]*)"`, 'g'))].map((m) => m[1]!);
}
