import { createDatabase, recordDeploy, recordFollowerEvents, recordTrades, type Database, type FollowerEvent, type TradeExecuted, snapshotVault } from '@vaults/shared';
import { Harness, addr, createTestDatabase, deploy, follower, trade, uniqueQueueSuffix, type TestDatabase } from '@vaults/testkit';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { foldFromScratch, readVault } from './support/snapshot-fold';

// The lock protocol's rule 5 (packages/shared/src/vault-events/lock-protocol.ts): a snapshot
// whose vault's lock a writer holds must not queue for it, because Postgres would then queue
// every later writer of that vault behind the snapshot; and the snapshot must still converge
// once the writers are done.

let db: TestDatabase;
let database: Database;
let h: Harness;
beforeAll(async () => {
  db = await createTestDatabase();
  // A writer held open, a second writer, the test's own reads.
  database = createDatabase(db.url, 4);
  h = new Harness(db.url, uniqueQueueSuffix());
  await h.start([snapshotWorker]);
});
afterAll(async () => {
  await h.close();
  await database.close();
  await db.drop();
});

const live = <T extends { type: string }>({ type: _type, ...rest }: T) => ({ ...rest, removed: false });

it('a writer is not blocked behind a snapshot that finds the vault locked, and the snapshot converges after the writers commit', async () => {
  const vault = 401;
  const vaultId = (await database.transaction((tx) => recordDeploy(tx, live(deploy(vault, 2))))).vaultId;
  const deposit: FollowerEvent = live(follower(vault, 9, 'DEPOSIT', 1_000_000n, { blockNumber: 1 }));
  const history: TradeExecuted[] = [10, 11, 12].map((b) => live(trade(vault, 1000n * BigInt(b - 11), { blockNumber: b })));
  await database.transaction((tx) => recordFollowerEvents(tx, [deposit]));
  await database.transaction((tx) => recordTrades(tx, history));
  await database.transaction((tx) => snapshotVault(tx, 1, addr(vault), 4));
  // After the folded position: the writers below mark nothing (no row lock between them).
  const first = live(trade(vault, 7_000n, { blockNumber: 20 }));
  const second = live(trade(vault, -3_000n, { blockNumber: 21 }));

  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let holding!: () => void;
  const holdingNow = new Promise<void>((r) => (holding = r));
  const writer = database.transaction(async (tx) => {
    await recordTrades(tx, [first]);
    holding();
    await held; // the vault's shared lock stays held until the test lets the writer commit
  });
  try {
    await holdingNow;
    const jobId = await h.addRaw('snapshot', 'CalculateSnapshot', { chainId: 1, vaultAddress: addr(vault) });
    // The snapshot has met the held lock: either it queued for it (a session waits on a lock) or
    // it gave up and its job was re-queued (a second run started).
    await until(async () => {
      if (await lockWaiters()) return 'queued';
      const job = await h.queue('snapshot').getJob(jobId);
      return (job?.attemptsStarted ?? 0) >= 2 ? 're-queued' : undefined;
    });
    const waitingBefore = await lockWaiters();

    // A second writer of the vault, while the first still holds its lock and the snapshot's job is around.
    let stopWatching = false;
    const outcome = await Promise.race([
      database.transaction((tx) => recordTrades(tx, [second])).then(() => 'committed' as const),
      until(async () => (stopWatching || (await lockWaiters()) > waitingBefore ? 'waited for a lock' as const : undefined)),
    ]);
    stopWatching = true;
    expect(outcome).toBe('committed');
  } finally {
    release();
    await writer;
  }

  await h.drained();
  expect(await h.failedReasons('snapshot')).toEqual([]);
  expect(await readVault(database, vaultId)).toEqual(foldFromScratch([deposit, ...history, first, second], 4).vault);
});

/** Sessions of this database waiting for a lock (an advisory lock, or any other). */
async function lockWaiters(): Promise<number> {
  const [row] = await database.sql.query<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
  return row!.n;
}

/** Polls until `probe` returns a value (each probe is one query: the test awaits the database's state). */
async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
}
