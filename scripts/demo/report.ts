import { Client } from 'pg';
import { diffSeries, diffStates, expectedSeries, expectedState, readSeries, readState, type AnyEvent } from '@vaults/testkit';
import { BASE_DECIMALS, BASE_SYMBOL } from './stream';

// What the demo shows at the end: the leaderboard as the database has it, and whether the
// database is exactly what docs/CONTRACT.md says the delivered events must produce.

export interface Row {
  name: string;
  address: string;
  leader: string;
  status: string;
  tvl: bigint;
  roi: number;
  /** Returns over the last 24 h / 7 d of chain time (the vault series; null: wiped out before the window). */
  return24h: number | null;
  return7d: number | null;
  drawdown: number;
  followers: number;
  trades: number;
}

export async function readLeaderboard(databaseUrl: string): Promise<Row[]> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    // The windows end at the newest bucket of any vault: the head of the replayed chain.
    const res = await c.query<{ name: string; address: string; leader: string; status: string; tvl: string; roi: number; return24h: number | null;
                                return7d: number | null; drawdown: number; followers: string; trades: string }>(
      `SELECT v.name, v."contractAddress" AS address, u."walletAddress" AS leader, v.status::text AS status,
              v.tvl::text AS tvl, v.roi, r."return24h", r."return7d", v.drawdown,
              (SELECT count(*) FROM "FollowerSubscription" s WHERE s."vaultId" = v.id) AS followers,
              (SELECT count(*) FROM "Trade" t WHERE t."vaultId" = v.id) AS trades
         FROM "Vault" v JOIN "User" u ON u.id = v."leaderId"
         JOIN vault_returns((SELECT coalesce(max("bucketStart"), 0) FROM "VaultSeries")) r ON r."vaultId" = v.id
        ORDER BY v.roi DESC, v.id`,
    );
    return res.rows.map((r) => ({ ...r, tvl: BigInt(r.tvl), followers: Number(r.followers), trades: Number(r.trades) }));
  } finally {
    await c.end();
  }
}

export const shortAddress = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;

/** A base-unit amount in whole units with two decimals and thousands separators. */
export function formatUnits(amount: bigint, decimals = BASE_DECIMALS): string {
  const cents = (amount * 100n + 10n ** BigInt(decimals) / 2n) / 10n ** BigInt(decimals);
  const whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${whole}.${(cents % 100n).toString().padStart(2, '0')}`;
}

const pct = (x: number | null, signed = false) => (x === null ? '—' : `${signed && x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`);

export function formatLeaderboard(rows: Row[]): string {
  const header = ['#', 'vault', 'address', 'leader', `TVL (${BASE_SYMBOL})`, '24 h', '7 d', 'all time (ROI)', 'max drawdown', 'followers', 'trades'];
  const right = new Set([0, 4, 5, 6, 7, 8, 9, 10]);
  const body = rows.map((r, i) => [
    String(i + 1),
    r.status === 'ACTIVE' ? r.name : `${r.name} (${r.status})`,
    shortAddress(r.address),
    shortAddress(r.leader),
    formatUnits(r.tvl),
    pct(r.return24h, true),
    pct(r.return7d, true),
    pct(r.roi, true),
    pct(r.drawdown),
    r.followers.toLocaleString('en-US'),
    r.trades.toLocaleString('en-US'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** The differences between the database and the reference model, the vault series bucket by bucket included (empty when they match). */
export async function verify(databaseUrl: string, delivered: AnyEvent[]): Promise<string[]> {
  // The workers' bucket: SERIES_BUCKET_SECONDS as they read it (the demos pass their environment on).
  const bucketSeconds = Number(process.env.SERIES_BUCKET_SECONDS || 3600);
  return [
    ...diffStates(expectedState(delivered), await readState(databaseUrl)),
    ...diffSeries(expectedSeries(delivered, bucketSeconds), await readSeries(databaseUrl)),
  ];
}

/**
 * The workers' own account, summed from their /metrics: jobs completed, retried (by cause) and
 * failed. Undefined when a sidecar does not answer; it is a display, not a check.
 */
export async function scrapeJobCounters(ports: readonly number[]): Promise<Record<string, number> | undefined> {
  const totals: Record<string, number> = {};
  try {
    for (const port of ports) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      for (const m of text.matchAll(/^\w*jobs_(completed|retried|failed)_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm)) {
        const cause = /(?:cause|reason)="([^"]+)"/.exec(m[2]!)?.[1];
        const key = cause ? `${m[1]} (${cause})` : m[1]!;
        totals[key] = (totals[key] ?? 0) + Number(m[3]);
      }
    }
  } catch {
    return undefined;
  }
  return totals;
}
