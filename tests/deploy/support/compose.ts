import { join } from 'node:path';
import { ROOT, readYaml, type Obj } from './repo';

export const COMPOSE_FILE = join(ROOT, 'docker', 'compose.yaml');

/** The compose file with its YAML merge keys (<<: *anchor) resolved, as compose does. */
export function readCompose(): Obj {
  return readYaml(COMPOSE_FILE, { merge: true });
}

/** A service's environment as a map; list entries "KEY=value" and "KEY" (passed through) too. */
export function composeEnv(service: Obj): Record<string, string | null> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) {
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? null : String(v)]));
  }
  return Object.fromEntries(
    env.map((entry: string) => {
      const eq = entry.indexOf('=');
      return eq < 0 ? [entry, null] : [entry.slice(0, eq), entry.slice(eq + 1)];
    }),
  );
}

export interface PortMapping {
  host: number | null;
  container: number;
}

/** Short syntax "[ip:]host:container[/proto]" or "container", and the long syntax. */
export function composePorts(service: Obj): PortMapping[] {
  return (service.ports ?? []).map((p: string | number | Obj) => {
    if (typeof p === 'object') return { host: p.published == null ? null : Number(p.published), container: Number(p.target) };
    // A host port may be a variable with a default ("${TRADE_WORKER_PORT:-9102}:9100"): its default.
    const parts = String(p).replace(/\$\{\w+:-(\d+)\}/g, '$1').replace(/\/\w+$/, '').split(':');
    const container = Number(parts[parts.length - 1]);
    const host = parts.length >= 2 ? Number(parts[parts.length - 2]) : null;
    return { host, container };
  });
}

/** Compose durations: "45s", "1m30s", "500ms". */
export function durationMs(value: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const rest = String(value).replace(/(\d+(?:\.\d+)?)(ms|s|m|h)/g, (_, n: string, u: string) => {
    total += Number(n) * units[u]!;
    return '';
  });
  if (rest.trim() !== '') throw new Error(`not a duration: ${value}`);
  return total;
}
