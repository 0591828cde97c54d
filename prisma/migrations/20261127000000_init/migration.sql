-- CreateEnum
CREATE TYPE "VaultStatus" AS ENUM ('ACTIVE', 'PAUSED', 'CLOSED', 'REMOVED');

-- CreateEnum
CREATE TYPE "FollowerAction" AS ENUM ('DEPOSIT', 'WITHDRAW');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "walletAddress" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Vault" (
    "id" SERIAL NOT NULL,
    "chainId" BIGINT NOT NULL,
    "contractAddress" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "baseAsset" TEXT NOT NULL,
    "leaderId" INTEGER NOT NULL,
    "status" "VaultStatus" NOT NULL DEFAULT 'ACTIVE',
    "tvl" DECIMAL(78,0) NOT NULL DEFAULT 0,
    "roi" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "drawdown" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Vault_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Trade" (
    "id" BIGSERIAL NOT NULL,
    "chainId" BIGINT NOT NULL,
    "txHash" TEXT NOT NULL,
    "logIndex" BIGINT NOT NULL,
    "vaultId" INTEGER NOT NULL,
    "blockNumber" BIGINT NOT NULL,
    "blockTimestamp" BIGINT NOT NULL,
    "tokenIn" TEXT NOT NULL,
    "tokenOut" TEXT NOT NULL,
    "amountIn" DECIMAL(78,0) NOT NULL,
    "amountOut" DECIMAL(78,0) NOT NULL,
    "pnl" DECIMAL(78,0) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Trade_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FollowerSubscription" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "vaultId" INTEGER NOT NULL,
    "depositedAmount" DECIMAL(78,0) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FollowerSubscription_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VaultDeployEvent" (
    "chainId" BIGINT NOT NULL,
    "txHash" TEXT NOT NULL,
    "logIndex" BIGINT NOT NULL,
    "vaultAddress" TEXT NOT NULL,
    "leaderAddress" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "baseAsset" TEXT NOT NULL,
    "blockNumber" BIGINT NOT NULL,
    "blockTimestamp" BIGINT NOT NULL,
    "removed" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VaultDeployEvent_pkey" PRIMARY KEY ("chainId","txHash","logIndex")
);

-- CreateTable
CREATE TABLE "TradeEvent" (
    "chainId" BIGINT NOT NULL,
    "txHash" TEXT NOT NULL,
    "logIndex" BIGINT NOT NULL,
    "removed" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TradeEvent_pkey" PRIMARY KEY ("chainId","txHash","logIndex")
);

-- CreateTable
CREATE TABLE "FollowerEvent" (
    "chainId" BIGINT NOT NULL,
    "txHash" TEXT NOT NULL,
    "logIndex" BIGINT NOT NULL,
    "vaultId" INTEGER NOT NULL,
    "userId" INTEGER NOT NULL,
    "action" "FollowerAction" NOT NULL,
    "amount" DECIMAL(78,0) NOT NULL,
    "blockNumber" BIGINT NOT NULL,
    "blockTimestamp" BIGINT NOT NULL,
    "removed" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FollowerEvent_pkey" PRIMARY KEY ("chainId","txHash","logIndex")
);

-- CreateTable
CREATE TABLE "VaultMetricsState" (
    "vaultId" INTEGER NOT NULL,
    "blockNumber" BIGINT NOT NULL DEFAULT -1,
    "logIndex" BIGINT NOT NULL DEFAULT -1,
    "txHash" TEXT NOT NULL DEFAULT '',
    "equity" DECIMAL(1000,0) NOT NULL DEFAULT 0,
    "sharePrice" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "peak" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "maxDrawdown" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "eventsFolded" BIGINT NOT NULL DEFAULT 0,
    "recomputeFromBlock" BIGINT,
    "recomputeFromLogIndex" BIGINT,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VaultMetricsState_pkey" PRIMARY KEY ("vaultId")
);

-- CreateTable
CREATE TABLE "VaultCheckpoint" (
    "vaultId" INTEGER NOT NULL,
    "blockNumber" BIGINT NOT NULL,
    "logIndex" BIGINT NOT NULL,
    "txHash" TEXT NOT NULL,
    "equity" DECIMAL(1000,0) NOT NULL,
    "sharePrice" DOUBLE PRECISION NOT NULL,
    "peak" DOUBLE PRECISION NOT NULL,
    "maxDrawdown" DOUBLE PRECISION NOT NULL,
    "eventsFolded" BIGINT NOT NULL,

    CONSTRAINT "VaultCheckpoint_pkey" PRIMARY KEY ("vaultId","blockNumber","logIndex","txHash")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_walletAddress_key" ON "User"("walletAddress");

-- CreateIndex
CREATE INDEX "Vault_leaderId_idx" ON "Vault"("leaderId");

-- CreateIndex
CREATE UNIQUE INDEX "Vault_chainId_contractAddress_key" ON "Vault"("chainId", "contractAddress");

-- CreateIndex
CREATE INDEX "Trade_vaultId_blockNumber_logIndex_idx" ON "Trade"("vaultId", "blockNumber", "logIndex");

-- CreateIndex
CREATE UNIQUE INDEX "Trade_chainId_txHash_logIndex_key" ON "Trade"("chainId", "txHash", "logIndex");

-- CreateIndex
CREATE INDEX "FollowerSubscription_vaultId_idx" ON "FollowerSubscription"("vaultId");

-- CreateIndex
CREATE UNIQUE INDEX "FollowerSubscription_userId_vaultId_key" ON "FollowerSubscription"("userId", "vaultId");

-- CreateIndex
CREATE INDEX "VaultDeployEvent_chainId_vaultAddress_idx" ON "VaultDeployEvent"("chainId", "vaultAddress");

-- CreateIndex
CREATE INDEX "FollowerEvent_vaultId_userId_idx" ON "FollowerEvent"("vaultId", "userId");

-- CreateIndex
CREATE INDEX "FollowerEvent_vaultId_blockNumber_logIndex_idx" ON "FollowerEvent"("vaultId", "blockNumber", "logIndex");

-- AddForeignKey
ALTER TABLE "Vault" ADD CONSTRAINT "Vault_leaderId_fkey" FOREIGN KEY ("leaderId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Trade" ADD CONSTRAINT "Trade_vaultId_fkey" FOREIGN KEY ("vaultId") REFERENCES "Vault"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FollowerSubscription" ADD CONSTRAINT "FollowerSubscription_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FollowerSubscription" ADD CONSTRAINT "FollowerSubscription_vaultId_fkey" FOREIGN KEY ("vaultId") REFERENCES "Vault"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written below this line: constraints Prisma's schema language cannot express. They guard
-- the stored formats of CONTRACT.md (lower-case hex, amount ranges) even against a bug upstream.
ALTER TABLE "User" ADD CONSTRAINT "User_walletAddress_format" CHECK ("walletAddress" ~ '^0x[0-9a-f]{40}$');
ALTER TABLE "Vault" ADD CONSTRAINT "Vault_contractAddress_format" CHECK ("contractAddress" ~ '^0x[0-9a-f]{40}$');
ALTER TABLE "Trade" ADD CONSTRAINT "Trade_txHash_format" CHECK ("txHash" ~ '^0x[0-9a-f]{64}$');
ALTER TABLE "Trade" ADD CONSTRAINT "Trade_amounts_range" CHECK ("amountIn" >= 0 AND "amountOut" >= 0);
ALTER TABLE "FollowerSubscription" ADD CONSTRAINT "FollowerSubscription_positive" CHECK ("depositedAmount" > 0);
ALTER TABLE "FollowerEvent" ADD CONSTRAINT "FollowerEvent_amount_range" CHECK ("amount" >= 0);
