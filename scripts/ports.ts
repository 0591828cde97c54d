import { createServer } from 'node:net';
import { INDEXER } from '@vaults/shared';
import { WORKERS } from '@vaults/testkit';

// The sidecar ports of `pnpm start`. Each worker has its own default (9101-9104, the indexer 9105
// when RPC_URL is set); PORT_OFFSET=n moves them all (a second `pnpm start` beside the first:
// PORT_OFFSET=10 gives 9111-9114), and METRICS_PORT=0 gives each one any free port (printed when
// it is ready).

const ALL = [...WORKERS, INDEXER];

export class PortError extends Error {}

/** The ports of the given services (the four workers by default). */
export function planPorts(env: NodeJS.ProcessEnv, names: readonly string[] = WORKERS.map((w) => w.name)): Record<string, number> {
  const metrics = env.METRICS_PORT ?? env.HEALTH_PORT;
  const offsetRaw = env.PORT_OFFSET ?? '0';
  const offset = Number(offsetRaw);
  const maxOffset = 65535 - Math.max(...ALL.map((w) => w.port));
  if (!/^\d+$/.test(offsetRaw) || offset > maxOffset) throw new PortError(`PORT_OFFSET must be an integer from 0 to ${maxOffset}`);
  if (metrics !== undefined && metrics !== '0') {
    throw new PortError(
      'METRICS_PORT names one port, but `pnpm start` runs four sidecars: set PORT_OFFSET=n to move all four (9101+n to 9104+n), or METRICS_PORT=0 for any free ports',
    );
  }
  const out: Record<string, number> = {};
  for (const w of ALL) if (names.includes(w.name)) out[w.name] = metrics === '0' ? 0 : w.port + offset;
  return out;
}

/** Whether something already listens on `port` (as the sidecar would bind it). */
export function portInUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** Fails with the variable to set when a planned port is taken (another `pnpm start`?). */
export async function checkPorts(ports: Record<string, number>, host: string): Promise<void> {
  for (const [name, port] of Object.entries(ports)) {
    if (port === 0 || !(await portInUse(port, host))) continue;
    const next = Object.values(ports).map((p) => p + 10);
    throw new PortError(
      `port ${port} (${name}'s sidecar, /metrics) is already in use: is another \`pnpm start\` running? ` +
        `Set PORT_OFFSET to move all four ports (e.g. PORT_OFFSET=10 for ${Math.min(...next)}-${Math.max(...next)}), or METRICS_PORT=0 for any free ports`,
    );
  }
}
