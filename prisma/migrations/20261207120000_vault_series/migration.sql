-- The vault series (docs/CONTRACT.md §9.1): per vault and bucket of chain time, the fold's state
-- after the bucket's last event, and the series' part of the fold state at each checkpoint.

-- CreateTable
CREATE TABLE "VaultSeries" (
    "vaultId" INTEGER NOT NULL,
    "bucketStart" BIGINT NOT NULL,
    "sharePrice" DOUBLE PRECISION NOT NULL,
    "tvl" DECIMAL(1000,0) NOT NULL,
    "cumulativePnl" DECIMAL(1000,0) NOT NULL,
    "netDeposits" DECIMAL(1000,0) NOT NULL,
    "maxDrawdown" DOUBLE PRECISION NOT NULL,
    "followerCount" INTEGER NOT NULL,
    "eventsFolded" BIGINT NOT NULL,

    CONSTRAINT "VaultSeries_pkey" PRIMARY KEY ("vaultId","bucketStart")
);

-- CreateTable
CREATE TABLE "VaultSeriesCheckpoint" (
    "vaultId" INTEGER NOT NULL,
    "eventsFolded" BIGINT NOT NULL,
    "blockNumber" BIGINT NOT NULL,
    "logIndex" BIGINT NOT NULL,
    "bucketStart" BIGINT NOT NULL,
    "cumulativePnl" DECIMAL(1000,0) NOT NULL,
    "followerCount" INTEGER NOT NULL,

    CONSTRAINT "VaultSeriesCheckpoint_pkey" PRIMARY KEY ("vaultId","eventsFolded")
);

-- Vaults folded before this migration have no series: their next snapshot recomputes from the
-- origin (the recompute-from mark before every position; its old checkpoints have no series part).
UPDATE "VaultMetricsState" SET "recomputeFromBlock" = -1, "recomputeFromLogIndex" = -1;

-- The share price at chain time p_at: the close of the last bucket starting at or before p_at;
-- 1 (the initial share price) before the vault's first event. One probe of VaultSeries_pkey.
CREATE FUNCTION vault_share_price_at(p_vault integer, p_at bigint) RETURNS double precision
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT s."sharePrice" FROM "VaultSeries" s
                    WHERE s."vaultId" = p_vault AND s."bucketStart" <= p_at
                    ORDER BY s."bucketStart" DESC LIMIT 1), 1)
$$;

-- A vault over the window of p_seconds ending at chain time p_at (NULL p_seconds: since the first
-- event), at bucket resolution: the window's end is the close of the bucket holding p_at, its
-- start the close of the bucket holding p_at - p_seconds (the initial state before any event).
--   return       end share price / start share price - 1 (NULL when the start price is 0)
--   drawdown     the largest fall of a bucket close below the highest of the start price and the
--                closes before it, within the window (bucket closes: a dip inside a bucket that
--                recovered by its close is not seen; maxDrawdown, since inception, sees every event)
--   pnl          realised PnL of the window's trades (cumulativePnl end - start)
--   netDeposits  deposits - withdrawals within the window
--   sharePrice, tvl, followerCount, maxDrawdown: at the end
CREATE FUNCTION vault_window(p_vault integer, p_at bigint, p_seconds bigint)
RETURNS TABLE ("return" double precision, "drawdown" double precision, "pnl" numeric, "netDeposits" numeric,
               "sharePrice" double precision, "tvl" numeric, "followerCount" integer, "maxDrawdown" double precision)
LANGUAGE sql STABLE AS $$
  WITH e AS (
    SELECT s.* FROM "VaultSeries" s WHERE s."vaultId" = p_vault AND s."bucketStart" <= p_at
     ORDER BY s."bucketStart" DESC LIMIT 1
  ), b AS (
    SELECT s.* FROM "VaultSeries" s WHERE p_seconds IS NOT NULL AND s."vaultId" = p_vault AND s."bucketStart" <= p_at - p_seconds
     ORDER BY s."bucketStart" DESC LIMIT 1
  ), start AS (
    SELECT coalesce((SELECT "sharePrice" FROM b), 1) AS price,
           coalesce((SELECT "cumulativePnl" FROM b), 0) AS pnl,
           coalesce((SELECT "netDeposits" FROM b), 0) AS deposits
  ), dd AS (
    SELECT coalesce(max(1 - x.price / x.peak) FILTER (WHERE x.peak > 0), 0) AS drawdown
      FROM (SELECT s."sharePrice" AS price,
                   greatest((SELECT price FROM start), max(s."sharePrice") OVER (ORDER BY s."bucketStart")) AS peak
              FROM "VaultSeries" s
             WHERE s."vaultId" = p_vault AND s."bucketStart" <= p_at
               AND (p_seconds IS NULL OR s."bucketStart" > p_at - p_seconds)) AS x
  )
  SELECT coalesce((SELECT "sharePrice" FROM e), 1) / nullif(start.price, 0) - 1,
         dd.drawdown,
         coalesce((SELECT "cumulativePnl" FROM e), 0) - start.pnl,
         coalesce((SELECT "netDeposits" FROM e), 0) - start.deposits,
         coalesce((SELECT "sharePrice" FROM e), 1),
         coalesce((SELECT "tvl" FROM e), 0),
         coalesce((SELECT "followerCount" FROM e), 0),
         coalesce((SELECT "maxDrawdown" FROM e), 0)
    FROM start, dd
$$;

-- Every vault's returns over 24 h, 7 d, 30 d and since its first event, at chain time p_at: the
-- leaderboard's rows (sort by any return column). Five probes of VaultSeries_pkey per vault.
CREATE FUNCTION vault_returns(p_at bigint)
RETURNS TABLE ("vaultId" integer, "return24h" double precision, "return7d" double precision, "return30d" double precision,
               "returnAll" double precision, "sharePrice" double precision, "maxDrawdown" double precision,
               "tvl" numeric, "followerCount" integer)
LANGUAGE sql STABLE AS $$
  SELECT v.id,
         p.now / nullif(vault_share_price_at(v.id, p_at - 86400), 0) - 1,
         p.now / nullif(vault_share_price_at(v.id, p_at - 7 * 86400), 0) - 1,
         p.now / nullif(vault_share_price_at(v.id, p_at - 30 * 86400), 0) - 1,
         p.now - 1,
         p.now,
         coalesce(e."maxDrawdown", 0),
         coalesce(e."tvl", 0),
         coalesce(e."followerCount", 0)
    FROM "Vault" v
    LEFT JOIN LATERAL (SELECT s.* FROM "VaultSeries" s WHERE s."vaultId" = v.id AND s."bucketStart" <= p_at
                        ORDER BY s."bucketStart" DESC LIMIT 1) AS e ON true
    CROSS JOIN LATERAL (SELECT coalesce(e."sharePrice", 1) AS now) AS p
$$;
