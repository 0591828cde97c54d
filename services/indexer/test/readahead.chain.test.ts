import { Client } from 'pg';
import { waitUntil } from '@vaults/testkit';
import { deployVaults, newSession, tradeBlocks, type SessionState } from '@vaults/devchain';
import type { RunningIndexer } from '../src/service';
import { ScriptedProxy, type Forward, type RpcAnswer, type RpcRequest } from './support/chain-proxies';
import { Rig } from './support/rig';

// Read-ahead (docs/INDEXER.md): the next range is read while the current one is recorded, sent
// and committed, and a tick uses it only if it follows the cursor that tick found after its own
// re-organisation check. In both tests range H+1 is held at its record (the sent-log table
// locked) while the indexer (READ_AHEAD=true) reads block H+2 ahead (which fails on an indexer
// without read-ahead);
// then
//   - a re-organisation replaces both blocks: once the lock goes, H+1's old trade is sent and
//     committed, the next tick finds H+1 replaced and rewinds; the old H+2 read ahead must never
//     be sent (one removal, not two) and the new branch is indexed;
//   - the record of H+1 fails (its connection killed): the cursor stays at H, so the next tick
//     must drop the read-ahead of H+2 and read H+1 again (using it would skip H+1's trade).

const E18 = 10n ** 18n;
let rig: Rig;
let s: SessionState;

/** Passes everything on; remembers the blocks whose headers it answered. */
class HeaderLog extends ScriptedProxy {
  readonly headers = new Set<number>();

  protected async handle(r: RpcRequest, forward: Forward): Promise<RpcAnswer> {
    const answer = await forward(r);
    const n = r.params?.[0];
    if (r.method === 'eth_getBlockByNumber' && typeof n === 'string' && n.startsWith('0x')) this.headers.add(Number(BigInt(n)));
    return answer;
  }
}

beforeAll(async () => {
  rig = await Rig.create();
  s = newSession(await deployVaults(rig.chain, 2), 29);
  await tradeBlocks(rig.chain, s, 2);
});
afterAll(() => rig.close());

/**
 * The backends of the rig's database waiting for a lock on the sent-log table (the indexer's
 * record). On a connection of its own: within the locking transaction, pg_stat_activity would
 * stay the snapshot of its first read.
 */
async function waitingRecords(): Promise<number[]> {
  const sql = new Client({ connectionString: rig.db.url });
  await sql.connect();
  try {
    const { rows } = await sql.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%IndexerSentLog%'`,
    );
    return rows.map((r) => r.pid);
  } finally {
    await sql.end();
  }
}

/**
 * From an indexed head H, two blocks with a trade each; then, with the sent-log table locked by
 * `lock`, an indexer in ranges of one block, until it has read H+2 ahead while H+1 waits at its record.
 */
async function heldWithReadAhead(lock: Client): Promise<{ h: number; ix: RunningIndexer; proxy: HeaderLog }> {
  for (const old of rig.indexers.splice(0)) await old.close();
  const first = await rig.startIndexer();
  const h = await rig.indexedToHead();
  await first.close();
  const [v0, v1] = s.vaults;
  await rig.chain.trade(v0!.address, v0!.leader, 3n * E18);
  await rig.chain.mine(1);
  await rig.chain.trade(v1!.address, v1!.leader, -2n * E18);
  await rig.chain.mine(1);
  const proxy = await new HeaderLog(rig.anvil.url).start();
  await lock.query('BEGIN');
  await lock.query('LOCK TABLE "IndexerSentLog" IN SHARE MODE'); // recordSends waits; reads do not
  const ix = await rig.startIndexer({ RPC_URL: proxy.url, INITIAL_BLOCK_RANGE: '1', MAX_BLOCK_RANGE: '1', READ_AHEAD: 'true' });
  await waitUntil(() => proxy.headers.has(h + 2), 60_000, `block ${h + 2} read ahead while range ${h + 1} waits at its record`);
  await waitUntil(async () => (await waitingRecords()).length === 1, 60_000, `the record of range ${h + 1} to wait for the lock`);
  expect(await rig.cursor()).toBe(h);
  return { h, ix, proxy };
}

const enqueued = async (ix: RunningIndexer) => {
  const text = await (await fetch(`http://127.0.0.1:${ix.port}/metrics`)).text();
  const count = (removed: boolean) => Number(new RegExp(`vaults_indexer_logs_enqueued_total\\{kind="TradeExecuted",removed="${removed}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { sent: count(false), removed: count(true), reorgs: Number(/vaults_indexer_reorgs_total(?:\{[^}]*\})? (\d+)/.exec(text)?.[1]) };
};

async function withLock(fn: (lock: Client) => Promise<void>): Promise<void> {
  const lock = new Client({ connectionString: rig.db.url });
  await lock.connect();
  try {
    await fn(lock);
  } finally {
    await lock.end();
  }
}

it('drops the read-ahead when the next tick rewinds: what it read of a dropped block is never sent', () =>
  withLock(async (lock) => {
    const { ix, proxy } = await heldWithReadAhead(lock);
    const [v0, v1] = s.vaults;
    await rig.chain.reorg(2, [
      [rig.chain.tradeTx(v0!.address, v0!.leader, 5n * E18), 0],
      [rig.chain.tradeTx(v1!.address, v1!.leader, -1n * E18), 1],
    ]);
    await lock.query('COMMIT');
    await rig.expectCanonical();
    await proxy.close();
    // Sent: the old H+1's trade, then the new branch's two; removed: the old H+1's only.
    expect(await enqueued(ix)).toEqual({ sent: 3, removed: 1, reorgs: 1 });
  }));

it('drops the read-ahead when the range before it failed: the range is read again, nothing skipped', () =>
  withLock(async (lock) => {
    const { ix, proxy } = await heldWithReadAhead(lock);
    const [victim] = await waitingRecords();
    await lock.query('SELECT pg_terminate_backend($1)', [victim]);
    // The failed tick is retried: its record waits for the lock again, on another connection.
    await waitUntil(async () => (await waitingRecords()).some((pid) => pid !== victim), 60_000, 'the range to be recorded again');
    await lock.query('COMMIT');
    await rig.expectCanonical();
    await proxy.close();
    expect(await enqueued(ix)).toEqual({ sent: 2, removed: 0, reorgs: 0 });
  }));
