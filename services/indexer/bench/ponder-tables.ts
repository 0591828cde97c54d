import type { AnyEvent } from '@vaults/testkit';

// What the bench's Ponder app (bench/ponder) must hold for a chain's logs, and how its tables
// differ from that: the "database exact" check of the side-by-side (ponder-run.ts). Pure.

export interface PonderTables {
  vaults: Map<string, { trades: number; pnl: bigint }>;
  trades: Set<string>;
  balances: Map<string, bigint>;
}

/** What Ponder's tables must hold for these logs. */
export function expectedPonderTables(events: AnyEvent[]): PonderTables {
  const out: PonderTables = { vaults: new Map(), trades: new Set(), balances: new Map() };
  for (const e of events) {
    const vault = e.vaultAddress.toLowerCase();
    if (e.type === 'deploy') out.vaults.set(vault, { trades: 0, pnl: 0n });
  }
  for (const e of events) {
    const vault = e.vaultAddress.toLowerCase();
    if (e.type === 'trade') {
      const v = out.vaults.get(vault)!;
      out.vaults.set(vault, { trades: v.trades + 1, pnl: v.pnl + BigInt(e.pnl) });
      out.trades.add(`${vault}:${e.blockNumber}:${e.logIndex}:${BigInt(e.pnl)}`);
    } else if (e.type === 'follower') {
      const key = `${vault}:${e.followerAddress.toLowerCase()}`;
      out.balances.set(key, (out.balances.get(key) ?? 0n) + (e.action === 'DEPOSIT' ? 1n : -1n) * BigInt(e.amount));
    }
  }
  return out;
}

/** Differences between Ponder's tables and the logs' (empty: exact). */
export function diffPonderTables(expected: PonderTables, actual: PonderTables): string[] {
  const out: string[] = [];
  const maps = <V>(name: string, a: Map<string, V>, b: Map<string, V>, show: (v: V | undefined) => string) => {
    for (const k of new Set([...a.keys(), ...b.keys()])) {
      if (show(a.get(k)) !== show(b.get(k))) out.push(`${name} ${k}: expected ${show(a.get(k))}, Ponder has ${show(b.get(k))}`);
    }
  };
  maps('vault', expected.vaults, actual.vaults, (v) => (v ? `${v.trades} trades, pnl ${v.pnl}` : 'none'));
  maps('balance', expected.balances, actual.balances, (v) => (v === undefined ? 'none' : String(v)));
  const missing = [...expected.trades].filter((t) => !actual.trades.has(t));
  const extra = [...actual.trades].filter((t) => !expected.trades.has(t));
  if (missing.length) out.push(`${missing.length} trades missing, e.g. ${missing[0]}`);
  if (extra.length) out.push(`${extra.length} trades extra, e.g. ${extra[0]}`);
  return out;
}
