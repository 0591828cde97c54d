import type { Sql } from '../platform';

// Readers of the vault series (docs/CONTRACT.md §9.1) for services that read: a vault over a
// window of chain time, and the leaderboard by return. Both run the migration's SQL functions
// (vault_window, vault_returns), so SQL readers and these agree by construction.

/** The leaderboard's windows, in seconds of chain time; `all` is since the vault's first event. */
export const RETURN_WINDOWS = { '24h': 86_400, '7d': 7 * 86_400, '30d': 30 * 86_400, all: null } as const;
export type ReturnWindow = keyof typeof RETURN_WINDOWS;

export interface VaultWindow {
  /** End share price / start share price − 1; null when the start price was 0 (wiped out). */
  return: number | null;
  /** Largest fall of a bucket close below the highest price before it in the window. */
  drawdown: number;
  /** Realised PnL of the window's trades, base-asset units. */
  pnl: bigint;
  /** Deposits − withdrawals within the window. */
  netDeposits: bigint;
  sharePrice: number;
  tvl: bigint;
  followerCount: number;
  /** Since the vault's first event, at the window's end (every event, not only bucket closes). */
  maxDrawdown: number;
}

/** A vault over the `seconds` (null: all) of chain time ending at `at` (Unix seconds), at bucket resolution. */
export async function readVaultWindow(sql: Sql, vaultId: number, at: number, seconds: number | null): Promise<VaultWindow> {
  const [r] = await sql.query<{ return: number | null; drawdown: number; pnl: string; netDeposits: string; sharePrice: number; tvl: string; followerCount: number; maxDrawdown: number }>`
    SELECT "return", "drawdown", "pnl"::text AS pnl, "netDeposits"::text AS "netDeposits", "sharePrice", "tvl"::text AS tvl, "followerCount", "maxDrawdown"
      FROM vault_window(${vaultId}::int, ${String(at)}::bigint, ${seconds === null ? null : String(seconds)}::bigint)`;
  return { ...r!, pnl: BigInt(r!.pnl), netDeposits: BigInt(r!.netDeposits), tvl: BigInt(r!.tvl) };
}

export interface LeaderboardRow {
  vaultId: number;
  contractAddress: string;
  name: string;
  return24h: number | null;
  return7d: number | null;
  return30d: number | null;
  returnAll: number;
  sharePrice: number;
  maxDrawdown: number;
  tvl: bigint;
  followerCount: number;
}

/** Active vaults by their return over `by` at chain time `at`, best first (no return: last), then by id. */
export async function readLeaderboard(sql: Sql, at: number, by: ReturnWindow, limit = 20): Promise<LeaderboardRow[]> {
  const rows = await sql.query<Omit<LeaderboardRow, 'tvl'> & { tvl: string }>`
    SELECT r."vaultId", v."contractAddress", v."name", r."return24h", r."return7d", r."return30d", r."returnAll",
           r."sharePrice", r."maxDrawdown", r."tvl"::text AS tvl, r."followerCount"
      FROM vault_returns(${String(at)}::bigint) r JOIN "Vault" v ON v.id = r."vaultId"
     WHERE v."status" = 'ACTIVE'
     ORDER BY CASE ${by}::text WHEN '24h' THEN r."return24h" WHEN '7d' THEN r."return7d" WHEN '30d' THEN r."return30d" ELSE r."returnAll" END
              DESC NULLS LAST, r."vaultId"
     LIMIT ${limit}::int`;
  return rows.map((r) => ({ ...r, tvl: BigInt(r.tvl) }));
}

/** The chain time of the newest bucket of any vault (the leaderboard's "now" for a replayed history); undefined without a series. */
export async function latestSeriesTime(sql: Sql): Promise<number | undefined> {
  const [r] = await sql.query<{ t: string | null }>`SELECT max("bucketStart")::text AS t FROM "VaultSeries"`;
  return r?.t == null ? undefined : Number(r.t);
}
