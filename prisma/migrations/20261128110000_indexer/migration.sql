-- CreateTable
CREATE TABLE "IndexerCursor" (
    "streamId" TEXT NOT NULL,
    "chainId" BIGINT NOT NULL,
    "blockNumber" BIGINT NOT NULL,
    "blockHash" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IndexerCursor_pkey" PRIMARY KEY ("streamId")
);

-- CreateTable
CREATE TABLE "IndexerBlock" (
    "streamId" TEXT NOT NULL,
    "blockNumber" BIGINT NOT NULL,
    "blockHash" TEXT NOT NULL,
    "parentHash" TEXT NOT NULL,

    CONSTRAINT "IndexerBlock_pkey" PRIMARY KEY ("streamId","blockNumber")
);

-- CreateTable
CREATE TABLE "IndexerVault" (
    "streamId" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "blockNumber" BIGINT NOT NULL,

    CONSTRAINT "IndexerVault_pkey" PRIMARY KEY ("streamId","address")
);

-- CreateTable
CREATE TABLE "IndexerSentLog" (
    "streamId" TEXT NOT NULL,
    "blockNumber" BIGINT NOT NULL,
    "blockHash" TEXT NOT NULL,
    "txHash" TEXT NOT NULL,
    "logIndex" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" TEXT NOT NULL,

    CONSTRAINT "IndexerSentLog_pkey" PRIMARY KEY ("streamId","blockNumber","txHash","logIndex")
);

-- CreateIndex
CREATE INDEX "IndexerVault_streamId_blockNumber_idx" ON "IndexerVault"("streamId", "blockNumber");
