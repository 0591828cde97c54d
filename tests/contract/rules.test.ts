import {
  Harness,
  addr,
  blockHashOf,
  createTestDatabase,
  deploy,
  diffStates,
  expectedState,
  follower,
  readState,
  trade,
  uniqueQueueSuffix,
  waitUntil,
  type AnyEvent,
  type TestDatabase,
} from '@vaults/testkit';
import { followerWorker } from '@vaults/follower-worker';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { tradeWorker } from '@vaults/trade-worker';
import { vaultWorker } from '@vaults/vault-worker';

// One test at least per rule of docs/CONTRACT.md "The database state that must result", each
// delivering events through the real queues to the four real services.

let db: TestDatabase;
let h: Harness;

beforeEach(async () => {
  db = await createTestDatabase();
  h = new Harness(db.url, uniqueQueueSuffix());
  await h.start([vaultWorker, tradeWorker, followerWorker, snapshotWorker]);
});

afterEach(async () => {
  await h.close();
  await db.drop();
});

/** Delivers the events, waits for the queues to drain; the state, and its differences from the reference model. */
async function run(events: AnyEvent[]) {
  await h.deliver(events);
  await h.drained();
  const state = await readState(db.url);
  return { state, diff: diffStates(expectedState(events), state) };
}

describe('rule 1: users', () => {
  it('creates one user per leader and follower of an existing vault, including removed events, and no others', async () => {
    const removedDeposit = follower(1, 21, 'DEPOSIT', 5n, { removed: true });
    const { state, diff } = await run([
      deploy(1, 10),
      follower(1, 20, 'DEPOSIT', 100n),
      follower(1, 20, 'DEPOSIT', 100n), // another event of the same follower
      removedDeposit,
    ]);
    expect(diff).toEqual([]);
    expect([...state.users].sort()).toEqual([addr(10), addr(20), addr(21)].sort());
  });

  it('does not create a user for a follower of a vault that never appears', async () => {
    await h.close();
    h = new Harness(db.url, uniqueQueueSuffix(), { RETRY_MAX_ATTEMPTS: '3', RETRY_BASE_DELAY_MS: '5', RETRY_MAX_DELAY_MS: '10' });
    await h.start([vaultWorker, tradeWorker, followerWorker, snapshotWorker]);
    const { state, diff } = await run([follower(99, 30, 'DEPOSIT', 1n)]);
    expect(diff).toEqual([]);
    expect(state.users.size).toBe(0);
    const reasons = await h.failedReasons('follower');
    expect(reasons).toEqual([expect.stringContaining('is not known yet')]);
  });
});

describe('rule 2: vaults', () => {
  it('creates the vault with lower-case addresses, ACTIVE', async () => {
    const d = deploy(2, 11, { vaultAddress: '0x' + 'AB'.repeat(20), leader: '0x' + 'CD'.repeat(20) });
    const { state, diff } = await run([d, d]);
    expect(diff).toEqual([]);
    expect(state.vaults.get(`1:0x${'ab'.repeat(20)}`)).toMatchObject({ status: 'ACTIVE', leader: `0x${'cd'.repeat(20)}` });
  });

  it('marks the vault REMOVED when its only deploy is removed, whether the removal comes first or last', async () => {
    const d1 = deploy(3, 12);
    const d2 = deploy(4, 13);
    const { state, diff } = await run([d1, { ...d1, removed: true }, { ...d2, removed: true }, d2]);
    expect(diff).toEqual([]);
    expect(state.vaults.get(`1:${addr(3)}`)?.status).toBe('REMOVED');
    expect(state.vaults.get(`1:${addr(4)}`)?.status).toBe('REMOVED');
  });

  it('keeps the vault ACTIVE while one of two deploy identities is not removed', async () => {
    const a = deploy(5, 14, { blockNumber: 1 });
    const b = deploy(5, 14, { blockNumber: 2 });
    const { state, diff } = await run([a, b, { ...a, removed: true }]);
    expect(diff).toEqual([]);
    expect(state.vaults.get(`1:${addr(5)}`)?.status).toBe('ACTIVE');
  });
});

describe('rule 3: trades', () => {
  it('records one row per non-removed trade, none for removed ones, with amounts past 2^53 exact', async () => {
    const big = trade(6, 2n ** 200n + 7n, { amountIn: (2n ** 256n - 1n).toString() });
    const gone = trade(6, 5n);
    const { state, diff } = await run([deploy(6, 15), big, big, gone, { ...gone, removed: true }]);
    expect(diff).toEqual([]);
    expect(state.trades.size).toBe(1);
    const { Client } = await import('pg');
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const r = await c.query('SELECT "amountIn"::text AS a, pnl::text AS p FROM "Trade"');
    await c.end();
    expect(r.rows).toEqual([{ a: (2n ** 256n - 1n).toString(), p: (2n ** 200n + 7n).toString() }]);
  });

  it('takes effect once a late vault appears (trade delivered before its VaultDeployed)', async () => {
    const t = trade(7, 1n);
    await h.deliver([t]);
    // The trade has been tried and put back to wait for its vault before the vault is delivered.
    await waitUntil(async () => ((await h.queue('trade').getJobCounts('delayed')).delayed ?? 0) > 0, 30_000, 'the trade to wait for its vault');
    expect((await readState(db.url)).trades.size).toBe(0);
    await h.deliver([deploy(7, 16)]);
    await h.drained();
    expect(diffStates(expectedState([t, deploy(7, 16)]), await readState(db.url))).toEqual([]);
    expect((await readState(db.url)).trades.size).toBe(1);
  });

  it('a removal delivered before the trade wins', async () => {
    const t = trade(8, 3n);
    const { state, diff } = await run([deploy(8, 17), { ...t, removed: true }, t, t]);
    expect(diff).toEqual([]);
    expect(state.trades.size).toBe(0);
  });
});

describe('rule 4: follower subscriptions', () => {
  it('keeps balance = deposits - withdrawals; the row exists iff the balance is > 0', async () => {
    const { state, diff } = await run([
      deploy(9, 18),
      follower(9, 40, 'DEPOSIT', 2n ** 255n),
      follower(9, 40, 'WITHDRAW', 1n),
      follower(9, 41, 'DEPOSIT', 10n),
      follower(9, 41, 'WITHDRAW', 10n),
      follower(9, 42, 'WITHDRAW', 5n), // withdrawal first: balance negative, no row
    ]);
    expect(diff).toEqual([]);
    expect(state.subscriptions.get(`1:${addr(9)}:${addr(40)}`)).toBe(2n ** 255n - 1n);
    expect(state.subscriptions.has(`1:${addr(9)}:${addr(41)}`)).toBe(false);
    expect(state.subscriptions.has(`1:${addr(9)}:${addr(42)}`)).toBe(false);
  });

  it('a removed deposit no longer counts, before or after its copy', async () => {
    const dep = follower(10, 43, 'DEPOSIT', 50n);
    const dep2 = follower(10, 43, 'DEPOSIT', 7n);
    const { state, diff } = await run([deploy(10, 19), dep, dep2, { ...dep, removed: true }, dep]);
    expect(diff).toEqual([]);
    expect(state.subscriptions.get(`1:${addr(10)}:${addr(43)}`)).toBe(7n);
  });
});

describe('rule 5: vault metrics', () => {
  it('computes the time-weighted share price: a deposit is not profit, a withdrawal not a loss', async () => {
    const events: AnyEvent[] = [
      deploy(11, 20),
      follower(11, 50, 'DEPOSIT', 1000n, { blockNumber: 1 }),
      trade(11, 100n, { blockNumber: 2 }), // S = 1.1, E = 1100
      follower(11, 51, 'DEPOSIT', 8900n, { blockNumber: 3 }), // E = 10000
      trade(11, -2000n, { blockNumber: 4 }), // S = 1.1 * 0.8 = 0.88, E = 8000
      follower(11, 51, 'WITHDRAW', 4000n, { blockNumber: 5 }), // E = 4000
      trade(11, 400n, { blockNumber: 6 }), // S = 0.968, E = 4400
    ];
    const { state, diff } = await run(events);
    expect(diff).toEqual([]);
    const v = state.vaults.get(`1:${addr(11)}`)!;
    expect(v.tvl).toBe(4400n);
    expect(v.roi).toBeCloseTo(0.968 - 1, 12);
    expect(v.drawdown).toBeCloseTo(1 - 0.88 / 1.1, 12);
  });

  it('recomputes from the right place when an older event arrives late or is removed', async () => {
    const early = follower(12, 52, 'DEPOSIT', 1000n, { blockNumber: 1 });
    const t1 = trade(12, 500n, { blockNumber: 3 });
    const t2 = trade(12, -300n, { blockNumber: 4 });
    const first = [deploy(12, 21), early, t1, t2];
    await h.deliver(first);
    await h.drained();
    expect(diffStates(expectedState(first), await readState(db.url))).toEqual([]);
    const late = follower(12, 53, 'DEPOSIT', 4000n, { blockNumber: 2 });
    const all = [...first, late, { ...t1, removed: true }];
    await h.deliver([late, { ...t1, removed: true }]);
    await h.drained();
    expect(diffStates(expectedState(all), await readState(db.url))).toEqual([]);
  });
});

// Contract version 2 (§3): a log belongs to its block. A re-organisation that re-includes a
// transaction (a sibling block at the same height, or a later block) makes another event, in
// effect at its own position, whatever the order of the old block's removal and the new copy.
describe('re-inclusion: the same transaction in a block of another hash', () => {
  const moved = <E extends AnyEvent>(e: E, blockNumber = e.blockNumber, branch = 1, logIndex = e.logIndex): E =>
    ({ ...e, blockNumber, blockHash: blockHashOf(blockNumber, branch), logIndex, blockTimestamp: e.blockTimestamp + (blockNumber - e.blockNumber) * 12 });
  const gone = <E extends AnyEvent>(e: E): E => ({ ...e, removed: true });

  it('a re-included vault deploy keeps the vault ACTIVE, its trades and deposits counting, new copy before or after the removal', async () => {
    const d = deploy(30, 40, { blockNumber: 5, logIndex: 0 });
    const dep = follower(30, 41, 'DEPOSIT', 10_000n, { blockNumber: 6, logIndex: 0 });
    const t = trade(30, 2_500n, { blockNumber: 6, logIndex: 1 });
    // The whole of blocks 5 and 6 re-organised: the deploy and the deposit in sibling blocks,
    // the trade one block later with another log index.
    const again = [moved(d), moved(dep), moved(t, 7, 1, 4)];
    const first = [d, dep, t];
    await h.deliver(first);
    await h.drained();
    const { state } = await run([...again.slice(0, 2), ...first.map(gone), again[2]!]);
    const all = [...first, ...again.slice(0, 2), ...first.map(gone), again[2]!];
    expect(diffStates(expectedState(all), state)).toEqual([]);
    expect(state.vaults.get(`1:${addr(30)}`)).toMatchObject({ status: 'ACTIVE', tvl: 12_500n });
    expect([...state.trades]).toEqual([`1:${blockHashOf(7, 1)}:4`]);
    expect(state.subscriptions.get(`1:${addr(30)}:${addr(41)}`)).toBe(10_000n);
  });

  it('a re-included withdrawal counts once: in transit both copies, at rest the new block\'s', async () => {
    const d = deploy(31, 42, { blockNumber: 1, logIndex: 0 });
    const dep = follower(31, 43, 'DEPOSIT', 9_000n, { blockNumber: 2, logIndex: 0 });
    const w = follower(31, 43, 'WITHDRAW', 4_000n, { blockNumber: 8, logIndex: 2 });
    const sibling = moved(w);
    const before = [d, dep, w, sibling];
    await h.deliver(before);
    await h.drained();
    // In transit (the old block's removal not there yet) both blocks' withdrawals count.
    expect(diffStates(expectedState(before), await readState(db.url))).toEqual([]);
    expect((await readState(db.url)).subscriptions.get(`1:${addr(31)}:${addr(43)}`)).toBe(1_000n);
    await h.deliver([gone(w), gone(w)]);
    await h.drained();
    const state = await readState(db.url);
    expect(diffStates(expectedState([...before, gone(w)]), state)).toEqual([]);
    expect(state.subscriptions.get(`1:${addr(31)}:${addr(43)}`)).toBe(5_000n);
  });

  it('a removal of the old block delivered first does not retract the new block\'s copy (sibling block, same position)', async () => {
    const d = deploy(32, 44, { blockNumber: 1, logIndex: 0 });
    const dep = follower(32, 45, 'DEPOSIT', 1_000n, { blockNumber: 2, logIndex: 0 });
    const t = trade(32, 100n, { blockNumber: 3, logIndex: 0 });
    const { state, diff } = await run([d, dep, gone(t), moved(t), t]);
    expect(diff).toEqual([]);
    expect([...state.trades]).toEqual([`1:${blockHashOf(3, 1)}:0`]);
    expect(state.vaults.get(`1:${addr(32)}`)).toMatchObject({ tvl: 1_100n });
  });
});
