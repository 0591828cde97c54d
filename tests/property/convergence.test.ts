import fc from 'fast-check';
import { Client } from 'pg';
import {
  Harness, createTestDatabase, diffSeries, diffStates, expectedSeries, expectedState, readSeries, readState, uniqueQueueSuffix, type TestDatabase,
} from '@vaults/testkit';
import { followerWorker } from '@vaults/follower-worker';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { tradeWorker } from '@vaults/trade-worker';
import { vaultWorker } from '@vaults/vault-worker';
import { historyArb } from './histories';

// Random histories delivered through the real queues (shuffled, duplicated, with removals and
// re-inclusions in other blocks) to two replicas of each worker running with concurrency > 1 and
// small group-commit batches, one replica set restarted part-way in some histories; the drained
// database must equal the reference model, the vault series bucket by bucket included (small
// buckets and checkpoints, so that histories span several buckets and late events resume from
// checkpoints). PROPERTY_RUNS / PROPERTY_SEED / PROPERTY_MAX_EVENTS raise it locally.

const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261127);
const MAX_EVENTS = Number(process.env.PROPERTY_MAX_EVENTS ?? 50);
// Histories' events are about a second apart (tests/property/histories.ts).
const BUCKET_SECONDS = 7;

let db: TestDatabase;
let h: Harness;
const totals = { histories: 0, delivered: 0, reincluded: 0, restarts: 0 };
const defs = [vaultWorker, tradeWorker, followerWorker, snapshotWorker];

beforeAll(async () => {
  db = await createTestDatabase();
  h = new Harness(db.url, uniqueQueueSuffix(), {
    WORKER_CONCURRENCY: '8',
    BATCH_MAX_SIZE: '4',
    BATCH_MAX_WAIT_MS: '2',
    // A vault that never appears fails its jobs after about 2.5 s instead of minutes.
    RETRY_MAX_ATTEMPTS: '25',
    RETRY_BASE_DELAY_MS: '10',
    RETRY_MAX_DELAY_MS: '100',
    SERIES_BUCKET_SECONDS: String(BUCKET_SECONDS),
    SNAPSHOT_CHECKPOINT_EVERY: '3',
  });
  await h.start([...defs, ...defs]); // two replicas of each
});

afterAll(async () => {
  await h.close();
  await db.drop();
  process.stdout.write(
    `property test: ${totals.histories} histories, ${totals.delivered} deliveries, ${totals.reincluded} re-included events, ${totals.restarts} restarts (seed ${SEED})\n`,
  );
});

async function reset(): Promise<void> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  await c.query(`TRUNCATE "Trade", "TradeEvent", "FollowerEvent", "FollowerSubscription", "VaultDeployEvent",
                 "VaultMetricsState", "VaultCheckpoint", "VaultSeries", "VaultSeriesCheckpoint", "Vault", "User" RESTART IDENTITY CASCADE`);
  await c.end();
}

/** Stops the oldest replica of each worker (gracefully, its active jobs finished) and starts a new one. */
async function restartOneReplicaSet(): Promise<void> {
  for (const s of h.services.splice(0, defs.length)) await s.close();
  await h.start(defs);
}

it('drained state and series equal the reference model for random delivery orders, duplicates, removals, re-inclusions and restarts', async () => {
  await fc.assert(
    fc.asyncProperty(historyArb(MAX_EVENTS), async ({ delivered, reincluded, restartAt }) => {
      await reset();
      await h.deliver(delivered.slice(0, restartAt));
      if (restartAt < delivered.length) {
        await restartOneReplicaSet();
        totals.restarts += 1;
      }
      await h.deliver(delivered.slice(restartAt));
      await h.drained();
      totals.histories += 1;
      totals.delivered += delivered.length;
      totals.reincluded += reincluded;
      expect(diffStates(expectedState(delivered), await readState(db.url))).toEqual([]);
      expect(diffSeries(expectedSeries(delivered, BUCKET_SECONDS), await readSeries(db.url))).toEqual([]);
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
}, 600_000);
