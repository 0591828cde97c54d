-- AlterTable
ALTER TABLE "TradeEvent" ADD COLUMN     "amountIn" DECIMAL(78,0),
ADD COLUMN     "amountOut" DECIMAL(78,0),
ADD COLUMN     "blockNumber" BIGINT,
ADD COLUMN     "blockTimestamp" BIGINT,
ADD COLUMN     "pnl" DECIMAL(78,0),
ADD COLUMN     "tokenIn" TEXT,
ADD COLUMN     "tokenOut" TEXT,
ADD COLUMN     "vaultAddress" TEXT;

-- Hand-written below this line. The trade ledger now keeps every field of the recorded event,
-- so that a later copy can be compared with it (docs/CONTRACT.md, "Copies agree"). Rows recorded
-- before this migration get the content of their Trade row; a removed one has none left, keeps
-- NULLs, and then agrees with any copy on those fields.
UPDATE "TradeEvent" e
   SET "blockNumber" = t."blockNumber", "blockTimestamp" = t."blockTimestamp", "vaultAddress" = v."contractAddress",
       "tokenIn" = t."tokenIn", "tokenOut" = t."tokenOut", "amountIn" = t."amountIn", "amountOut" = t."amountOut", "pnl" = t."pnl"
  FROM "Trade" t JOIN "Vault" v ON v.id = t."vaultId"
 WHERE t."chainId" = e."chainId" AND t."txHash" = e."txHash" AND t."logIndex" = e."logIndex";
