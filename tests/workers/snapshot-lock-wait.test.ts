import { createDatabase, recordDeploy, recordFollowerEvents, recordTrades, type Database, type FollowerEvent, type TradeExecuted, snapshotVault } from '@vaults/shared';
import { Harness, addr, createTestDatabase, deploy, follower, trade, uniqueQueueSuffix, type TestDatabase } from '@vaults/testkit';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { tradeWorker } from '@vaults/trade-worker';
import { foldFromScratch, readVault } from './support/snapshot-fold';

// The lock protocol's rule 5 (packages/shared/src/vault-events/lock-protocol.ts): a snapshot
// whose vault's lock a writer holds must not queue for it, because Postgres would then queue
// every later writer of that vault behind the snapshot; and the snapshot must still converge
// once the writers are done. It keeps trying for SNAPSHOT_LOCK_POLL_MS inside its statement
// (sleeping between tries, never queued), so a lock that frees up meanwhile costs no re-queued job.

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
  const { vaultId, deposit } = await deployWithDeposit(vault);
  const history: TradeExecuted[] = [10, 11, 12].map((b) => live(trade(vault, 1000n * BigInt(b - 11), { blockNumber: b })));
  await database.transaction((tx) => recordTrades(tx, history));
  await database.transaction((tx) => snapshotVault(tx, 1, addr(vault), 4));
  // After the folded position: the writers below mark nothing (no row lock between them).
  const first = live(trade(vault, 7_000n, { blockNumber: 20 }));
  const second = live(trade(vault, -3_000n, { blockNumber: 21 }));

  const writer = await holdWriter(first);
  try {
    const jobId = await h.addRaw('snapshot', 'CalculateSnapshot', { chainId: 1, vaultAddress: addr(vault) });
    // The snapshot has met the held lock: either it queued for it (a session waits on a lock) or
    // it gave up and its job was re-queued (a second run started).
    await until(async () => {
      if (await lockWaiters()) return 'queued';
      const job = await h.queue('snapshot').getJob(jobId);
      return (job?.attemptsStarted ?? 0) >= 2 ? 're-queued' : undefined;
    });
    // A second writer of the vault, while the first still holds its lock and the snapshot's job is around.
    expect(await commitsWithoutWaiting(second)).toBe('committed');
  } finally {
    await writer.release();
  }

  await h.drained();
  expect(await h.failedReasons('snapshot')).toEqual([]);
  expect(await readVault(database, vaultId)).toEqual(foldFromScratch([deposit, ...history, first, second], 4).vault);
});

it('a snapshot that finds the lock held keeps trying in its statement, without queueing: the writers commit, its job is not re-queued', async () => {
  // A poll longer than the test: the snapshot is still polling when the writer commits.
  const polling = new Harness(db.url, uniqueQueueSuffix(), { SNAPSHOT_LOCK_POLL_MS: '60000' });
  await polling.start([snapshotWorker]);
  try {
    const vault = 402;
    const { vaultId, deposit } = await deployWithDeposit(vault);
    await database.transaction((tx) => snapshotVault(tx, 1, addr(vault), 4));
    const first = live(trade(vault, 7_000n, { blockNumber: 20 }));
    const second = live(trade(vault, -3_000n, { blockNumber: 21 }));

    const writer = await holdWriter(first);
    let jobId: string;
    try {
      jobId = await polling.addRaw('snapshot', 'CalculateSnapshot', { chainId: 1, vaultAddress: addr(vault) });
      // The old rule gave up at once and re-queued the job; a queued lock request would show as a lock wait.
      const met = await until(async () => {
        if (await lockWaiters()) return 'queued';
        if (await pollingSessions()) return 'polling';
        const job = await polling.queue('snapshot').getJob(jobId);
        return (job?.attemptsStarted ?? 0) >= 2 ? 're-queued' : undefined;
      });
      expect(met).toBe('polling');
      // Another writer of the vault commits while the snapshot polls, without waiting for a lock.
      expect(await commitsWithoutWaiting(second)).toBe('committed');
    } finally {
      await writer.release();
    }
    await polling.drained();
    const job = await polling.queue('snapshot').getJob(jobId);
    expect([await job?.getState(), job?.attemptsStarted]).toEqual(['completed', 1]);
    expect(await polling.failedReasons('snapshot')).toEqual([]);
    expect(await readVault(database, vaultId)).toEqual(foldFromScratch([deposit, first, second], 4).vault);
  } finally {
    await polling.close();
  }
});

it('writers without a pause and snapshots that poll briefly, then re-queue: no vault is stale once every job has ended', async () => {
  // A poll shorter than a batch: both ways of rule 5 happen (a try that gets the lock while
  // polling, and one that gives up and is re-queued).
  const rig = new Harness(db.url, uniqueQueueSuffix(), { SNAPSHOT_LOCK_POLL_MS: '3', BATCH_MAX_SIZE: '7', BATCH_MAX_WAIT_MS: '1' });
  await rig.start([tradeWorker, snapshotWorker]);
  try {
    const vaults = [411, 412, 413];
    const ids = new Map<number, number>();
    const events = new Map<number, (TradeExecuted | FollowerEvent)[]>();
    for (const v of vaults) {
      const { vaultId, deposit } = await deployWithDeposit(v);
      ids.set(v, vaultId);
      events.set(v, [deposit]);
    }
    // Waves of trades over the three vaults, each wave delivered at once, positions out of order
    // (later waves also land before folded positions: recomputes).
    for (let wave = 0; wave < 6; wave++) {
      const batch = Array.from({ length: 60 }, (_, i) => {
        const v = vaults[i % vaults.length]!;
        const t = trade(v, BigInt(((i * 7919 + wave * 104729) % 2001) - 1000), { blockNumber: 100 + ((i * 31 + wave * 17) % 50), logIndex: wave * 100 + i });
        events.get(v)!.push(live(t));
        return t;
      });
      await rig.deliver(batch);
    }
    await rig.drained();
    expect(await rig.failedReasons('trade')).toEqual([]);
    expect(await rig.failedReasons('snapshot')).toEqual([]);
    for (const v of vaults) expect([v, await readVault(database, ids.get(v)!)]).toEqual([v, foldFromScratch(events.get(v)!, 4).vault]);
  } finally {
    await rig.close();
  }
});

/** A deployed vault with one follower's deposit recorded. */
async function deployWithDeposit(vault: number): Promise<{ vaultId: number; deposit: FollowerEvent }> {
  const vaultId = (await database.transaction((tx) => recordDeploy(tx, live(deploy(vault, 2))))).vaultId;
  const deposit: FollowerEvent = live(follower(vault, 9, 'DEPOSIT', 1_000_000n, { blockNumber: 1 }));
  await database.transaction((tx) => recordFollowerEvents(tx, [deposit]));
  return { vaultId, deposit };
}

/** A writer's transaction that has recorded `t` and holds its vault's shared lock until release() (which awaits its commit). */
async function holdWriter(t: TradeExecuted): Promise<{ release(): Promise<void> }> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let holding!: () => void;
  const holdingNow = new Promise<void>((r) => (holding = r));
  const writer = database.transaction(async (tx) => {
    await recordTrades(tx, [t]);
    holding();
    await held;
  });
  await Promise.race([holdingNow, writer]);
  return { release: async () => (release(), await writer) };
}

/** Records `t` in a writer transaction of its own: 'committed', or 'waited for a lock' as soon as one more session of this database waits for one. */
async function commitsWithoutWaiting(t: TradeExecuted): Promise<'committed' | 'waited for a lock'> {
  const waitingBefore = await lockWaiters();
  let stopWatching = false;
  const outcome = await Promise.race([
    database.transaction((tx) => recordTrades(tx, [t])).then(() => 'committed' as const),
    until(async () => (stopWatching || (await lockWaiters()) > waitingBefore ? 'waited for a lock' as const : undefined)),
  ]);
  stopWatching = true;
  return outcome;
}

/** Sessions of this database polling a lock: sleeping in pg_sleep between tries. */
async function pollingSessions(): Promise<number> {
  const [row] = await database.sql.query<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'`;
  return row!.n;
}

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
