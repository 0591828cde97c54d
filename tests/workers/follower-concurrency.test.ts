import { Harness, addr, createTestDatabase, deploy, follower, readState, uniqueQueueSuffix, type TestDatabase } from '@vaults/testkit';
import { vaultWorker } from '@vaults/vault-worker';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { followerWorker } from '@vaults/follower-worker';

// Many events of one (follower, vault) at once, across two replicas with many jobs in flight
// and small batches: the balance is exactly the ledger's sum (no lost update).

let db: TestDatabase;
let h: Harness;

beforeAll(async () => {
  db = await createTestDatabase();
  h = new Harness(db.url, uniqueQueueSuffix(), { WORKER_CONCURRENCY: '50', BATCH_MAX_SIZE: '3', BATCH_MAX_WAIT_MS: '1' });
  await h.start([vaultWorker, followerWorker, followerWorker, snapshotWorker]);
});
afterAll(async () => {
  await h.close();
  await db.drop();
});

it('sums 300 concurrent deposits and withdrawals of one pair exactly', async () => {
  await h.deliver([deploy(1, 2)]);
  await h.drained();
  const events = Array.from({ length: 300 }, (_, i) =>
    // Distinct, increasing positions: no event invalidates the vault's metrics (whose row lock
    // would serialise the writers and hide a missing pair lock).
    follower(1, 7, i % 4 === 3 ? 'WITHDRAW' : 'DEPOSIT', i % 4 === 3 ? 10n ** 18n : 3n * 10n ** 18n + BigInt(i), { blockNumber: 100 + i }),
  );
  await h.deliver(events);
  await h.drained();
  const expected = events.reduce((sum, e) => sum + (e.action === 'DEPOSIT' ? 1n : -1n) * BigInt(e.amount), 0n);
  const state = await readState(db.url);
  expect(state.subscriptions.get(`1:${addr(1)}:${addr(7)}`)).toBe(expected);
});
