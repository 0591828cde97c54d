import type { Redis as Standalone } from 'ioredis';
import { isCluster, type Redis } from '@vaults/shared';

// Exact Redis work of one key prefix: every command (and every command a Lua script ran) whose
// arguments name a key of the prefix, seen through MONITOR. MONITOR slows Redis down, so it is
// for counting (a small run), never for timing.

export interface CommandCounts {
  /** Commands sent by clients, by name; EVALSHA is split by BullMQ script name. */
  client: Map<string, number>;
  /** Commands run inside Lua scripts, by name. */
  lua: Map<string, number>;
}

/** Counts commands touching `prefix` until stop(); `scripts` maps sha -> script name. */
export async function monitorPrefix(redis: Redis, prefix: string, scripts: Map<string, string>): Promise<() => Promise<CommandCounts>> {
  if (isCluster(redis)) throw new Error('MONITOR counting needs a standalone Redis');
  const monitor = await (redis as Standalone).monitor();
  const counts: CommandCounts = { client: new Map(), lua: new Map() };
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (!args.some((a) => typeof a === 'string' && a.startsWith(prefix))) return;
    const name = args[0]!.toLowerCase();
    if (source === 'lua') return bump(counts.lua, name);
    bump(counts.client, name === 'evalsha' ? `evalsha ${scripts.get(args[1]!) ?? args[1]!.slice(0, 8)}` : name);
  });
  return async () => {
    // MONITOR lines arrive after the commands ran: one round trip through Redis flushes them.
    await redis.ping();
    await new Promise((r) => setTimeout(r, 200));
    monitor.disconnect();
    return counts;
  };
}

/** The sha -> name of every script BullMQ defined on a connection (ioredis keeps them). */
export function scriptNames(client: unknown): Map<string, string> {
  const set = (client as { scriptsSet?: Record<string, { sha: string }> }).scriptsSet ?? {};
  return new Map(Object.entries(set).map(([name, s]) => [s.sha, name]));
}

/** "name n/trade" lines, largest first. */
export function perEvent(m: Map<string, number>, events: number): string[] {
  return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${(n / events).toFixed(3)}`);
}

export function total(m: Map<string, number>): number {
  return [...m.values()].reduce((a, b) => a + b, 0);
}
