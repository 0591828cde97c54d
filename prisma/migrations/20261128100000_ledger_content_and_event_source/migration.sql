-- AlterTable
ALTER TABLE "TradeEvent" ADD COLUMN     "amountIn" DECIMAL(78,0),
ADD COLUMN     "amountOut" DECIMAL(78,0),
ADD COLUMN     "blockNumber" BIGINT,
ADD COLUMN     "blockTimestamp" BIGINT,
ADD COLUMN     "pnl" DECIMAL(78,0),
ADD COLUMN     "tokenIn" TEXT,
ADD COLUMN     "tokenOut" TEXT,
ADD COLUMN     "vaultAddress" TEXT;

-- AlterTable
ALTER TABLE "VaultCheckpoint" DROP CONSTRAINT "VaultCheckpoint_pkey",
ADD COLUMN     "source" INTEGER NOT NULL DEFAULT 1,
ADD CONSTRAINT "VaultCheckpoint_pkey" PRIMARY KEY ("vaultId", "blockNumber", "logIndex", "txHash", "source");

-- AlterTable
ALTER TABLE "VaultMetricsState" ADD COLUMN     "source" INTEGER NOT NULL DEFAULT 1;

-- Hand-written below this line. The trade ledger now keeps every field of the recorded event,
-- so that a later copy can be compared with it (docs/CONTRACT.md, "Copies agree"). Rows recorded
-- before this migration get the content of their Trade row; a removed one has none left, keeps
-- NULLs, and then agrees with any copy on those fields.
UPDATE "TradeEvent" e
   SET "blockNumber" = t."blockNumber", "blockTimestamp" = t."blockTimestamp", "vaultAddress" = v."contractAddress",
       "tokenIn" = t."tokenIn", "tokenOut" = t."tokenOut", "amountIn" = t."amountIn", "amountOut" = t."amountOut", "pnl" = t."pnl"
  FROM "Trade" t JOIN "Vault" v ON v.id = t."vaultId"
 WHERE t."chainId" = e."chainId" AND t."txHash" = e."txHash" AND t."logIndex" = e."logIndex";

-- The snapshot now pages on (blockNumber, logIndex, txHash, source): source 0 is a follower
-- event, 1 a trade, so the key is unique by construction even where a trade and a follower event
-- share a position. A position folded before this migration ended at some event of
-- (blockNumber, logIndex, txHash); the default 1 keeps everything at that key behind it, as the
-- old key did.
