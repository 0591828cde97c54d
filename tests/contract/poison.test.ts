import { Client } from 'pg';
import {
  Harness,
  createTestDatabase,
  deploy,
  follower,
  toJob,
  trade,
  uniqueQueueSuffix,
  waitUntil,
  type TestDatabase,
} from '@vaults/testkit';
import type { QueueKey } from '@vaults/shared';
import { followerWorker } from '@vaults/follower-worker/src/service';
import { snapshotWorker } from '@vaults/snapshot-worker/src/service';
import { tradeWorker } from '@vaults/trade-worker/src/service';
import { vaultWorker } from '@vaults/vault-worker/src/service';

// Payloads that break the contract fail at once (one attempt), with a reason that names the
// field, and write nothing.

let db: TestDatabase;
let h: Harness;

beforeAll(async () => {
  db = await createTestDatabase();
  h = new Harness(db.url, uniqueQueueSuffix());
  await h.start([vaultWorker, tradeWorker, followerWorker, snapshotWorker]);
});

afterAll(async () => {
  await h.close();
  await db.drop();
});

const t = () => { const { type, ...d } = trade(1, 5n); return d as Record<string, unknown>; };
const f = () => { const { type, ...d } = follower(1, 2, 'DEPOSIT', 5n); return d as Record<string, unknown>; };
const d = () => { const { type, ...x } = deploy(1, 3); return x as Record<string, unknown>; };
const without = (o: Record<string, unknown>, k: string) => { const c = { ...o }; delete c[k]; return c; };

type Case = [label: string, queue: QueueKey, name: string, data: unknown, reason: RegExp];
const cases: Case[] = [
  ['missing txHash', 'trade', 'TradeExecuted', without(t(), 'txHash'), /txHash/],
  ['short txHash', 'trade', 'TradeExecuted', { ...t(), txHash: '0x' + 'a'.repeat(63) }, /txHash: must be 0x \+ 64 hex digits/],
  ['negative logIndex', 'trade', 'TradeExecuted', { ...t(), logIndex: -1 }, /logIndex/],
  ['logIndex as a string', 'trade', 'TradeExecuted', { ...t(), logIndex: '5' }, /logIndex/],
  ['fractional blockNumber', 'trade', 'TradeExecuted', { ...t(), blockNumber: 1.5 }, /blockNumber/],
  ['chainId zero', 'trade', 'TradeExecuted', { ...t(), chainId: 0 }, /chainId/],
  ['negative amountIn', 'trade', 'TradeExecuted', { ...t(), amountIn: '-1' }, /amountIn/],
  ['amountOut = 2^256', 'trade', 'TradeExecuted', { ...t(), amountOut: (2n ** 256n).toString() }, /amountOut: out of range/],
  ['amountIn as a JS number', 'trade', 'TradeExecuted', { ...t(), amountIn: 1000 }, /amountIn: must be a base-10 integer string/],
  ['pnl = 2^255', 'trade', 'TradeExecuted', { ...t(), pnl: (2n ** 255n).toString() }, /pnl: out of range/],
  ['pnl with a decimal point', 'trade', 'TradeExecuted', { ...t(), pnl: '1.5' }, /pnl/],
  ['malformed vaultAddress', 'trade', 'TradeExecuted', { ...t(), vaultAddress: '0x' + '1'.repeat(39) }, /vaultAddress: must be 0x \+ 40 hex digits/],
  ['tokenIn without 0x', 'trade', 'TradeExecuted', { ...t(), tokenIn: 'a'.repeat(40) }, /tokenIn/],
  ['removed not a boolean', 'trade', 'TradeExecuted', { ...t(), removed: 'yes' }, /removed/],
  ['unknown action', 'follower', 'FollowerSubscribed', { ...f(), action: 'STAKE' }, /action: must be "DEPOSIT" or "WITHDRAW"/],
  ['missing amount', 'follower', 'FollowerSubscribed', without(f(), 'amount'), /amount/],
  ['followerAddress as a number', 'follower', 'FollowerUnsubscribed', { ...f(), followerAddress: 12345 }, /followerAddress/],
  ['name of 101 characters', 'vault', 'VaultDeployed', { ...d(), name: 'x'.repeat(101) }, /name: must be 1\.\.100 characters/],
  ['empty name', 'vault', 'VaultDeployed', { ...d(), name: '' }, /name/],
  ['missing leader', 'vault', 'VaultDeployed', without(d(), 'leader'), /leader/],
  ['payload not an object', 'trade', 'TradeExecuted', 'hello', /\(payload\)/],
  ['unknown job name', 'trade', 'TradeCancelled', t(), /unknown job name "TradeCancelled"/],
  ['snapshot with a bad vault address', 'snapshot', 'CalculateSnapshot', { chainId: 1, vaultAddress: 'nope' }, /vaultAddress/],
];

it(`fails ${cases.length} kinds of bad payload at once, naming the field, writing nothing`, async () => {
  // A valid vault first, so that a bad trade of it is not merely waiting for its vault.
  const [vk, vn, vd] = toJob(deploy(1, 3));
  await h.addRaw(vk, vn, vd);
  await h.drained();

  const ids = new Map<string, Case>();
  for (const c of cases) ids.set(`${c[1]}:${await h.addRaw(c[1], c[2], c[3])}`, c);
  await waitUntil(async () => {
    let failed = 0;
    for (const k of ['vault', 'trade', 'follower', 'snapshot'] as QueueKey[]) failed += await h.queue(k).getFailedCount();
    return failed >= cases.length;
  }, 30_000, 'every bad job to fail');

  for (const [key, [label, queue]] of ids) {
    const job = await h.queue(queue).getJob(key.split(':')[1]!);
    expect({ label, state: await job!.getState(), attemptsMade: job!.attemptsMade }).toEqual({ label, state: 'failed', attemptsMade: 1 });
    expect({ label, reason: job!.failedReason }).toEqual({ label, reason: expect.stringMatching(ids.get(key)![4]) });
  }

  const c = new Client({ connectionString: db.url });
  await c.connect();
  const counts = await c.query(`SELECT (SELECT count(*) FROM "Trade")::int AS trades, (SELECT count(*) FROM "TradeEvent")::int AS "tradeEvents",
    (SELECT count(*) FROM "FollowerEvent")::int AS "followerEvents", (SELECT count(*) FROM "User")::int AS users,
    (SELECT count(*) FROM "Vault")::int AS vaults`);
  await c.end();
  // Only the valid deploy's vault and leader exist.
  expect(counts.rows[0]).toEqual({ trades: 0, tradeEvents: 0, followerEvents: 0, users: 1, vaults: 1 });
});
