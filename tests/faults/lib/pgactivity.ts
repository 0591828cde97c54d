import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { sql } from './measure';

/** Local TCP ports of the process's sockets connected to `remotePort` (from /proc). */
export function connectedPorts(pid: number, remotePort: number): Set<number> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return new Set();
  }
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = parseInt(f[1]!.split(':')[1]!, 16);
      const remote = parseInt(f[2]!.split(':')[1]!, 16);
      if (remote === remotePort && inodes.has(f[9]!)) ports.add(local);
    }
  }
  return ports;
}

/** Open transactions (xact_start set) of that process on the database: it is mid-transaction. */
export async function openTransactions(databaseUrl: string, pid: number, pgPort: number): Promise<number> {
  const ports = [...connectedPorts(pid, pgPort)];
  if (!ports.length) return 0;
  const rows = await sql<{ n: number }>(
    databaseUrl,
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE client_port = ANY($1::int[]) AND xact_start IS NOT NULL`,
    [ports],
  );
  return rows[0]!.n;
}
