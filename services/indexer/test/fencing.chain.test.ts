import { Client } from 'pg';
import { waitUntil } from '@vaults/testkit';
import { deployVaults, newSession, tradeBlocks, type SessionState } from '@vaults/devchain';
import { LOCK_NAMESPACE } from '../src/lock';
import type { RunningIndexer } from '../src/service';
import { SlowProxy } from './support/chain-proxies';
import { Rig } from './support/rig';
import { TcpProxy } from './support/tcp-proxy';

// A writer that lost the lock can neither enqueue nor commit. The split brain: the
// leader's range is in flight behind a slow node; a 1-block re-organisation replaces its block;
// its lock session is killed (pg_terminate_backend); the standby takes over and indexes the new
// branch; then the old leader's answer arrives. It must send nothing and commit nothing, whether
// or not the new leader restarts afterwards (a restart reads what the old one would have
// committed). And a lock connection that goes silent rather than closed: the leader gives up,
// Postgres ends the session, the standby takes over.

const E18 = 10n ** 18n;
let rig: Rig;
let s: SessionState;

beforeAll(async () => {
  rig = await Rig.create();
  s = newSession(await deployVaults(rig.chain, 2), 19);
  await tradeBlocks(rig.chain, s, 3);
});
afterAll(() => rig.close());

async function sql<T>(text: string): Promise<T[]> {
  const c = new Client({ connectionString: rig.db.url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

/**
 * Kills the session that holds the writer lock in the rig's database: the two-key advisory lock
 * (objsubid 2) of the indexer's namespace (classid), not the workers' transaction-scoped vault
 * locks, which a batch in flight holds at the same moment when the machine is busy.
 */
async function killLockSession(): Promise<void> {
  const rows = await sql<{ ok: boolean }>(`
    SELECT pg_terminate_backend(pid) AS ok FROM pg_locks
     WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = ${LOCK_NAMESPACE}
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
  expect(rows).toEqual([{ ok: true }]);
}

/** vaults_indexer_leader of a replica: 1 while it holds the writer lock. */
async function leads(ix: RunningIndexer): Promise<boolean> {
  return /^vaults_indexer_leader\{[^}]*\} 1$/m.test(await (await fetch(`http://127.0.0.1:${ix.port}/metrics`)).text());
}

async function closeAll(): Promise<void> {
  for (const ix of rig.indexers.splice(0)) await ix.close();
}

/** The scenario up to the old leader's late answer; returns the new leader. */
async function splitBrain(): Promise<{ old: RunningIndexer; leader: RunningIndexer }> {
  await closeAll();
  const slow = await new SlowProxy(rig.anvil.url).start();
  try {
    const old = await rig.startIndexer({ RPC_URL: slow.url });
    await waitUntil(async () => leads(old), 30_000, 'the first replica to lead');
    await rig.indexedToHead();
    const [v0, v1] = s.vaults;
    const head = await rig.chain.head();
    slow.hold(head + 1);
    await rig.chain.trade(v0!.address, v0!.leader, 6n * E18);
    await rig.chain.mine(1);
    await waitUntil(async () => slow.held > 0, 30_000, "the leader's range to be in flight");

    await rig.chain.reorg(1, [[rig.chain.tradeTx(v1!.address, v1!.leader, -4n * E18), 0]]);
    await killLockSession();
    const leader = await rig.startIndexer();
    await waitUntil(async () => leads(leader), 30_000, 'the standby to take over');
    await rig.indexedToHead(); // the new leader indexed the new branch

    slow.release(); // the old leader's answer (the dropped branch) arrives
    await waitUntil(async () => !(await leads(old)), 30_000, 'the old leader to step down');
    return { old, leader };
  } finally {
    await slow.close();
  }
}

/** Stops the old leader; returns its metrics from before (they say whether it was fenced). */
async function stop(old: RunningIndexer): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${old.port}/metrics`)).text();
  await old.close();
  rig.indexers.splice(rig.indexers.indexOf(old), 1);
  return text;
}
/** The old leader stepped down because a write was refused (it never retries one). */
const FENCED = /^vaults_indexer_fenced_total\{[^}]*\} 1$/m;

it('split brain: the old leader, fenced, neither enqueues nor commits the dropped branch', async () => {
  const { old } = await splitBrain();
  await rig.expectCanonical();
  expect(await stop(old)).toMatch(FENCED);
  await tradeBlocks(rig.chain, s, 2);
  await rig.expectCanonical();
});

it('split brain, then the new leader restarts: it retracts nothing of the canonical branch', async () => {
  const { old, leader } = await splitBrain();
  const oldMetrics = await stop(old);
  await stop(leader);
  await rig.startIndexer();
  await tradeBlocks(rig.chain, s, 2);
  await rig.expectCanonical();
  expect(oldMetrics).toMatch(FENCED);
});

it('the lock connection goes silent: the leader gives up, Postgres ends the session, the standby takes over', async () => {
  await closeAll();
  const url = new URL(rig.db.url);
  const tcp = await TcpProxy.start(url.hostname, Number(url.port || 5432));
  try {
    const viaProxy = new URL(rig.db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(tcp.port);
    const a = await rig.startIndexer({ DATABASE_URL: viaProxy.toString() });
    await waitUntil(async () => leads(a), 30_000, 'the first replica to lead');
    const b = await rig.startIndexer();
    await rig.indexedToHead();
    expect(await leads(b)).toBe(false);

    tcp.goSilent();
    await waitUntil(async () => leads(b), 60_000, 'the standby to take over from a silent leader');
    await tradeBlocks(rig.chain, s, 3);
    await rig.expectCanonical();
  } finally {
    await tcp.close();
  }
  await closeAll();
});
