import { followerWorker } from '@vaults/follower-worker';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { tradeWorker } from '@vaults/trade-worker';
import { vaultWorker } from '@vaults/vault-worker';

// The four worker definitions, for a test that runs the whole path in its own process (the
// indexer's chain tests start them with the testkit's Harness). Here rather than in the indexer's
// package, so the indexer depends on no worker; Stack (stack.ts) runs them as processes instead.
export const ALL_WORKERS = [vaultWorker, tradeWorker, followerWorker, snapshotWorker] as const;
