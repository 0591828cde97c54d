-- Contract version 2 (docs/CONTRACT.md §3): an event's identity is (chainId, blockHash, logIndex);
-- txHash becomes a content field. The ledgers are keyed by the new identity, Trade carries its
-- log's blockHash (unique with chainId and logIndex; a re-included copy may arrive before the old
-- block's removal, so two rows may share (chainId, txHash, logIndex) in transit), and the
-- snapshot's fold key uses blockHash where it used txHash.

-- AlterTable
ALTER TABLE "TradeEvent" ADD COLUMN "blockHash" TEXT;
ALTER TABLE "FollowerEvent" ADD COLUMN "blockHash" TEXT;
ALTER TABLE "VaultDeployEvent" ADD COLUMN "blockHash" TEXT;
ALTER TABLE "Trade" ADD COLUMN "blockHash" TEXT;

-- Rows written under version 1 (docs/CONTRACT.md §11 rule 12, docs/DEPLOYMENT.md "Upgrading to
-- contract version 2"). A live ledger row takes its block's hash from the indexer's sent logs
-- when they know exactly one block at the row's (chainId, txHash, logIndex, blockNumber): with
-- the queues drained before the upgrade, a live row had no removal, so that block is the one it
-- was recorded from. The other rows keep a marker, 'v1:' || txHash, unique as the version-1 key
-- was and never a valid hash, so no version-2 copy can collide with it:
-- - a live one is adopted by the first version-2 copy of the same (chainId, txHash, logIndex)
--   whose content agrees (the ledgers' statements: the marker becomes the copy's hash, and a
--   removal copy retracts it), so re-sending the same events with their hashes doubles nothing;
-- - a removed one is inert: under version 1 a removal retracted the transaction's log whatever
--   block re-included it, and the sent log's hash may be the re-including block's, so no hash
--   can be trusted; a version-2 copy of a live block is another event and takes effect.
CREATE TEMPORARY TABLE "v2_known_hash" ON COMMIT DROP AS
SELECT (s."payload"::jsonb ->> 'chainId')::bigint AS c, lower(s."txHash") AS h, s."logIndex" AS l, s."blockNumber" AS b,
       min(lower(s."blockHash")) AS bh
  FROM "IndexerSentLog" s
 GROUP BY 1, 2, 3, 4
HAVING count(DISTINCT lower(s."blockHash")) = 1;

UPDATE "TradeEvent" e SET "blockHash" = k.bh FROM "v2_known_hash" k
 WHERE NOT e."removed" AND (e."chainId", e."txHash", e."logIndex", e."blockNumber") = (k.c, k.h, k.l, k.b);
UPDATE "FollowerEvent" e SET "blockHash" = k.bh FROM "v2_known_hash" k
 WHERE NOT e."removed" AND (e."chainId", e."txHash", e."logIndex", e."blockNumber") = (k.c, k.h, k.l, k.b);
UPDATE "VaultDeployEvent" e SET "blockHash" = k.bh FROM "v2_known_hash" k
 WHERE NOT e."removed" AND (e."chainId", e."txHash", e."logIndex", e."blockNumber") = (k.c, k.h, k.l, k.b);

UPDATE "TradeEvent" SET "blockHash" = 'v1:' || "txHash" WHERE "blockHash" IS NULL;
UPDATE "FollowerEvent" SET "blockHash" = 'v1:' || "txHash" WHERE "blockHash" IS NULL;
UPDATE "VaultDeployEvent" SET "blockHash" = 'v1:' || "txHash" WHERE "blockHash" IS NULL;

-- A Trade row is a live trade ledger row's effect: it takes the row's hash, or stays NULL (block
-- unknown) until the row is adopted.
UPDATE "Trade" t SET "blockHash" = e."blockHash" FROM "TradeEvent" e
 WHERE (t."chainId", t."txHash", t."logIndex") = (e."chainId", e."txHash", e."logIndex") AND e."blockHash" LIKE '0x%';

ALTER TABLE "TradeEvent" ALTER COLUMN "blockHash" SET NOT NULL;
ALTER TABLE "FollowerEvent" ALTER COLUMN "blockHash" SET NOT NULL;
ALTER TABLE "VaultDeployEvent" ALTER COLUMN "blockHash" SET NOT NULL;

-- The new keys
ALTER TABLE "TradeEvent" DROP CONSTRAINT "TradeEvent_pkey",
ADD CONSTRAINT "TradeEvent_pkey" PRIMARY KEY ("chainId", "blockHash", "logIndex");
ALTER TABLE "FollowerEvent" DROP CONSTRAINT "FollowerEvent_pkey",
ADD CONSTRAINT "FollowerEvent_pkey" PRIMARY KEY ("chainId", "blockHash", "logIndex");
ALTER TABLE "VaultDeployEvent" DROP CONSTRAINT "VaultDeployEvent_pkey",
ADD CONSTRAINT "VaultDeployEvent_pkey" PRIMARY KEY ("chainId", "blockHash", "logIndex");

DROP INDEX "Trade_chainId_txHash_logIndex_key";
CREATE UNIQUE INDEX "Trade_chainId_blockHash_logIndex_key" ON "Trade"("chainId", "blockHash", "logIndex");
CREATE INDEX "Trade_chainId_txHash_logIndex_idx" ON "Trade"("chainId", "txHash", "logIndex");
ALTER TABLE "Trade" ADD CONSTRAINT "Trade_blockHash_format" CHECK ("blockHash" ~ '^0x[0-9a-f]{64}$');

-- The fold's position: (blockNumber, logIndex, blockHash, source), unique even where two sibling
-- blocks' copies of one transaction sit at one (blockNumber, logIndex). A position stored under
-- the old key named a txHash; rather than translate it, every vault's next snapshot refolds from
-- its first event (a recompute-from position before every event, and no checkpoint to resume
-- from), which the metrics published until then do not depend on.
ALTER TABLE "VaultMetricsState" RENAME COLUMN "txHash" TO "blockHash";
ALTER TABLE "VaultCheckpoint" RENAME COLUMN "txHash" TO "blockHash";
DELETE FROM "VaultCheckpoint";
UPDATE "VaultMetricsState" SET "recomputeFromBlock" = -1, "recomputeFromLogIndex" = -1;
