import { Client } from 'pg';
import {
  Harness,
  addr,
  createTestDatabase,
  deploy,
  follower,
  trade,
  uniqueQueueSuffix,
  waitUntil,
  type TestDatabase,
} from '@vaults/testkit';
import type { QueueKey } from '@vaults/shared';
import { followerWorker } from '@vaults/follower-worker';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { tradeWorker } from '@vaults/trade-worker';
import { vaultWorker } from '@vaults/vault-worker';

// Payloads that break the contract fail at once (one attempt), with a reason that names the
// field, and write nothing. So do job names that are not the queue's (built-in object property
// names included) and copies that differ from the recorded event ("Copies agree").

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

// Recorded before the cases arrive: the events the conflicting copies below contradict.
const recordedTrade = t();
const recordedFollower = f();
const recordedDeploy = d();
const upper = (s: unknown) => String(s).toUpperCase().replace(/^0X/, '0x');

type Case = [label: string, queue: QueueKey, name: string, data: unknown, reason: RegExp];
const cases: Case[] = [
  ['missing txHash', 'trade', 'TradeExecuted', without(t(), 'txHash'), /txHash/],
  ['missing blockHash', 'trade', 'TradeExecuted', without(t(), 'blockHash'), /blockHash: required since contract version 2/],
  ['short blockHash', 'follower', 'FollowerSubscribed', { ...f(), blockHash: '0x' + 'a'.repeat(63) }, /blockHash/],
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
  // Job names that are built-in object properties, on every queue.
  ...(['vault', 'trade', 'follower', 'snapshot'] as QueueKey[]).flatMap((queue) =>
    ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'].map(
      (name): Case => [`job named ${name} on ${queue}`, queue, name, t(), new RegExp(`^unknown job name "${name}" on `)],
    ),
  ),
  // Conflicting copies: the first copy recorded stands, the reason names the first differing field.
  ['trade copy with another pnl', 'trade', 'TradeExecuted', { ...recordedTrade, pnl: '6' }, /^pnl: conflicting copy of event /],
  // Contract version 2: txHash is content; the identity is (chainId, blockHash, logIndex).
  ['trade copy with another transaction', 'trade', 'TradeExecuted', { ...recordedTrade, txHash: '0x' + 'e'.repeat(64) }, /^txHash: conflicting copy of event /],
  ['follower copy with another transaction', 'follower', 'FollowerSubscribed', { ...recordedFollower, txHash: '0x' + 'e'.repeat(64) }, /^txHash: conflicting copy/],
  ['deploy removal copy with another transaction', 'vault', 'VaultDeployed', { ...recordedDeploy, txHash: '0x' + 'e'.repeat(64), removed: true }, /^txHash: conflicting copy/],
  ['trade copy with another block', 'trade', 'TradeExecuted', { ...recordedTrade, blockNumber: 11, pnl: '6' }, /^blockNumber: conflicting copy/],
  ['trade removal copy naming an unknown vault', 'trade', 'TradeExecuted', { ...recordedTrade, vaultAddress: addr(77), removed: true }, /^vaultAddress: conflicting copy/],
  ['follower copy with another amount', 'follower', 'FollowerSubscribed', { ...recordedFollower, amount: '6' }, /^amount: conflicting copy/],
  ['follower copy with another action', 'follower', 'FollowerUnsubscribed', { ...recordedFollower, action: 'WITHDRAW' }, /^action: conflicting copy/],
  ['follower copy with another follower', 'follower', 'FollowerSubscribed', { ...recordedFollower, followerAddress: addr(0xf00) }, /^followerAddress: conflicting copy/],
  ['deploy copy with another name', 'vault', 'VaultDeployed', { ...recordedDeploy, name: 'Renamed' }, /^name: conflicting copy/],
  ['deploy removal copy with another leader', 'vault', 'VaultDeployed', { ...recordedDeploy, leader: addr(0x1ead), removed: true }, /^leader: conflicting copy/],
  ['trade identity sent as a follower event', 'follower', 'FollowerSubscribed', { ...f(), blockHash: recordedTrade.blockHash, txHash: recordedTrade.txHash, logIndex: recordedTrade.logIndex }, /^queue: conflicting copy .* already recorded on TradeProcessingQueue/],
  ['follower identity sent as a deploy', 'vault', 'VaultDeployed', { ...d(), blockHash: recordedFollower.blockHash, txHash: recordedFollower.txHash, logIndex: recordedFollower.logIndex }, /^queue: conflicting copy .* already recorded on FollowerEventQueue/],
  ['deploy identity sent as a trade', 'trade', 'TradeExecuted', { ...t(), blockHash: recordedDeploy.blockHash, txHash: recordedDeploy.txHash, logIndex: recordedDeploy.logIndex }, /^queue: conflicting copy .* already recorded on VaultDeployedQueue/],
];

it(`fails ${cases.length} kinds of bad payload at once, naming the field, writing nothing`, async () => {
  // A valid vault first, so that a bad trade of it is not merely waiting for its vault; and the
  // events the conflicting copies contradict.
  await h.addRaw('vault', 'VaultDeployed', recordedDeploy);
  await h.drained();
  await h.addRaw('trade', 'TradeExecuted', recordedTrade);
  await h.addRaw('follower', 'FollowerSubscribed', recordedFollower);
  await h.drained();
  // Copies that agree but for letter case are copies, not conflicts.
  const agreeing = [
    await h.addRaw('trade', 'TradeExecuted', { ...recordedTrade, txHash: upper(recordedTrade.txHash), blockHash: upper(recordedTrade.blockHash), vaultAddress: upper(recordedTrade.vaultAddress), tokenIn: upper(recordedTrade.tokenIn) }),
    await h.addRaw('follower', 'FollowerSubscribed', { ...recordedFollower, followerAddress: upper(recordedFollower.followerAddress) }),
  ];
  await h.drained();
  expect(await Promise.all(agreeing.map(async (id, i) => (await h.queue(i ? 'follower' : 'trade').getJob(id))!.getState()))).toEqual(['completed', 'completed']);

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
  // Only the recorded events' rows exist: one vault, its leader and one follower.
  expect(counts.rows[0]).toEqual({ trades: 1, tradeEvents: 1, followerEvents: 1, users: 2, vaults: 1 });

  // What an operator sees besides the failed set: one series per closed reason, job names that
  // are not the queue's counted as `unknown`.
  const scraped = (await Promise.all(h.services.map((s) => fetch(`http://127.0.0.1:${s.port}/metrics`).then((r) => r.text())))).join('\n');
  expect(scraped).toMatch(/vaults_jobs_failed_total\{[^}]*job_name="unknown"[^}]*reason="unknown_job"[^}]*\} 5/);
  expect(scraped).toMatch(/vaults_jobs_failed_total\{queue="TradeProcessingQueue",job_name="TradeExecuted",reason="conflicting_copy"[^}]*\} 5/);
  expect(scraped).not.toMatch(/job_name="(constructor|__proto__|toString|hasOwnProperty|valueOf|TradeCancelled)"/);
});
