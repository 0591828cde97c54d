-- Contract version 2 in the indexer: a sent log is its block's, so the sent-log store is keyed by
-- (streamId, blockHash, logIndex). The same transaction re-included in a sibling block (same
-- blockNumber, txHash, logIndex) or in a later block is another row, retracted or kept by its own
-- block. Position reads (rewind, the re-organisation path) use the (streamId, blockNumber) index.
ALTER TABLE "IndexerSentLog" DROP CONSTRAINT "IndexerSentLog_pkey";
ALTER TABLE "IndexerSentLog" ADD CONSTRAINT "IndexerSentLog_pkey" PRIMARY KEY ("streamId", "blockHash", "logIndex");
CREATE INDEX "IndexerSentLog_streamId_blockNumber_idx" ON "IndexerSentLog"("streamId", "blockNumber");

-- Fencing: the writer's epoch, taken (incremented) with the writer lock and checked in every write
-- transaction, so a writer that lost the lock can neither record sends nor move the cursor.
ALTER TABLE "IndexerCursor" ADD COLUMN "epoch" BIGINT NOT NULL DEFAULT 0;
