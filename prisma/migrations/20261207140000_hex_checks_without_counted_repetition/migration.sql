-- The hex-format checks, same names and same accepted values, without a counted repetition:
-- Postgres' regex engine matched '^0x[0-9a-f]{64}$' in ~16 us per value on the bench machine,
-- a length test and '^0x[0-9a-f]*$' in ~1.3 us; Trade's two checks were ~15% of the trade
-- batch's Postgres CPU (docs/BENCHMARK.md, "Postgres per trade"). Each new check is added NOT
-- VALID and then validated, which reads the table without blocking its writers.
ALTER TABLE "Trade" DROP CONSTRAINT "Trade_txHash_format",
  ADD CONSTRAINT "Trade_txHash_format" CHECK (length("txHash") = 66 AND "txHash" ~ '^0x[0-9a-f]*$') NOT VALID;
ALTER TABLE "Trade" DROP CONSTRAINT "Trade_blockHash_format",
  ADD CONSTRAINT "Trade_blockHash_format" CHECK (length("blockHash") = 66 AND "blockHash" ~ '^0x[0-9a-f]*$') NOT VALID;
ALTER TABLE "User" DROP CONSTRAINT "User_walletAddress_format",
  ADD CONSTRAINT "User_walletAddress_format" CHECK (length("walletAddress") = 42 AND "walletAddress" ~ '^0x[0-9a-f]*$') NOT VALID;
ALTER TABLE "Vault" DROP CONSTRAINT "Vault_contractAddress_format",
  ADD CONSTRAINT "Vault_contractAddress_format" CHECK (length("contractAddress") = 42 AND "contractAddress" ~ '^0x[0-9a-f]*$') NOT VALID;
ALTER TABLE "Trade" VALIDATE CONSTRAINT "Trade_txHash_format";
ALTER TABLE "Trade" VALIDATE CONSTRAINT "Trade_blockHash_format";
ALTER TABLE "User" VALIDATE CONSTRAINT "User_walletAddress_format";
ALTER TABLE "Vault" VALIDATE CONSTRAINT "Vault_contractAddress_format";
