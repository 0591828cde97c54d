import { loadIndexerConfig } from '../src/config';
import { rewindStream } from '../src/rewind';
import { deployVaults, newSession, tradeBlocks, type SessionState } from '@vaults/devchain';
import { Rig } from './support/rig';

// Re-organisations with anvil_reorg while the indexer follows the head: the dropped blocks'
// trades, deposits and a vault deploy must be retracted (removed: true), the replacement
// transactions of the new branch indexed, and the database must equal the reference model over
// the new canonical chain plus the removals.

const E18 = 10n ** 18n;
let rig: Rig;
let s: SessionState;

beforeAll(async () => {
  rig = await Rig.create();
  s = newSession(await deployVaults(rig.chain, 2), 5);
  await tradeBlocks(rig.chain, s, 8);
});
afterAll(() => rig.close());

const metric = async (port: number, name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : NaN;
};

it('depth 1: a trade and a deposit dropped, a replacement trade in the new block', async () => {
  const ix = await rig.startIndexer();
  const [v0, v1] = s.vaults;
  await rig.chain.trade(v0!.address, v0!.leader, 7n * E18);
  await rig.chain.deposit(v1!.address, rig.chain.accounts[9]!, 50n * E18);
  await rig.chain.mine(1);
  const fork = (await rig.indexedToHead()) - 1;
  const dropped = await rig.eventsAfter(fork);
  expect(dropped.map((e) => e.type).sort()).toEqual(['follower', 'trade']);
  rig.dropped.push(...dropped);

  await rig.chain.reorg(1, [[rig.chain.tradeTx(v1!.address, v1!.leader, -3n * E18), 0]]);
  const after = await rig.eventsAfter(fork);
  expect(after).toHaveLength(1);
  await rig.expectConverged();
  expect(await metric(ix.port, 'vaults_indexer_reorgs_total')).toBe(1);
  const text = await (await fetch(`http://127.0.0.1:${ix.port}/metrics`)).text();
  expect(text).toMatch(/vaults_indexer_logs_enqueued_total\{kind="TradeExecuted",removed="true"[^}]*\} 1/);
  expect(text).toMatch(/vaults_indexer_reorg_depth_blocks_sum\{[^}]*\} 1/);
});

it('depth 3: a vault deploy, its deposit and trades dropped; replacements at two heights', async () => {
  const [v0, v1] = s.vaults;
  await rig.chain.setAutomine(true);
  const [v2] = await deployVaults(rig.chain, 1, 2);
  await rig.chain.deposit(v2!.address, rig.chain.accounts[10]!, 10n * E18);
  await rig.chain.mine(1);
  await rig.chain.trade(v2!.address, v2!.leader, 2n * E18);
  await rig.chain.trade(v0!.address, v0!.leader, -1n * E18);
  await rig.chain.mine(1);
  const fork = (await rig.indexedToHead()) - 3;
  const dropped = await rig.eventsAfter(fork);
  expect(dropped.filter((e) => e.type === 'deploy')).toHaveLength(1);
  rig.dropped.push(...dropped);

  await rig.chain.reorg(3, [
    [rig.chain.depositTx(v1!.address, rig.chain.accounts[11]!, 5n * E18), 0],
    [rig.chain.tradeTx(v1!.address, v1!.leader, 4n * E18), 2],
  ]);
  await rig.expectConverged();
  const [ix] = rig.indexers;
  const text = await (await fetch(`http://127.0.0.1:${ix!.port}/metrics`)).text();
  expect(text).toMatch(/vaults_indexer_reorg_depth_blocks_bucket\{le="3"[^}]*\} 2/);
  // The vault whose deploy was dropped is REMOVED (checked by the reference model too).
  await tradeBlocks(rig.chain, s, 3);
  await rig.expectConverged();
});

it('a chain that gets shorter (evm_revert): the indexer waits, then retracts once the new branch passes it', async () => {
  await rig.chain.setAutomine(false);
  const fork = await rig.chain.head();
  const snapshot = await rig.chain.snapshot();
  await tradeBlocks(rig.chain, s, 3, 3);
  await rig.indexedToHead();
  const dropped = await rig.eventsAfter(fork);
  expect(dropped.length).toBeGreaterThan(0);
  rig.dropped.push(...dropped);
  const [ix] = rig.indexers;
  const reorgsBefore = await metric(ix!.port, 'vaults_indexer_reorgs_total');

  await rig.chain.revert(snapshot); // head back at the fork: the indexer's cursor is above it
  expect(await rig.chain.head()).toBe(fork);
  await tradeBlocks(rig.chain, s, 5, 3); // a new branch that outgrows the old one
  await rig.expectConverged();
  expect(await metric(ix!.port, 'vaults_indexer_reorgs_total')).toBe(reorgsBefore + 1);
});

it('deeper than the window: alarm (metric, readiness 503), halted; rewind recovers', async () => {
  for (const ix of rig.indexers.splice(0)) await ix.close();
  const ix = await rig.startIndexer({ REORG_WINDOW: '4', SENT_LOG_RETENTION: '1000' });
  await tradeBlocks(rig.chain, s, 6);
  const head = await rig.indexedToHead();
  const fork = head - 6;
  const dropped = await rig.eventsAfter(fork);
  expect(dropped.length).toBeGreaterThan(0);
  rig.dropped.push(...dropped);
  await rig.chain.reorg(6, [[rig.chain.tradeTx(s.vaults[0]!.address, s.vaults[0]!.leader, 9n * E18), 1]]);
  await rig.chain.mine(2);

  const { waitUntil } = await import('@vaults/testkit');
  await waitUntil(async () => (await metric(ix.port, 'vaults_indexer_deep_reorg')) === 1, 30_000, 'the deep re-organisation alarm');
  const ready = await fetch(`http://127.0.0.1:${ix.port}/readyz`);
  expect(ready.status).toBe(503);
  expect(JSON.stringify(await ready.json())).toContain('deeper than REORG_WINDOW');
  expect(await rig.cursor()).toBe(head); // halted: nothing indexed on top of an unknown fork

  await ix.close();
  rig.indexers.splice(0);
  const result = await rewindStream(loadIndexerConfig(rig.indexerEnv({ REORG_WINDOW: '4', SENT_LOG_RETENTION: '1000' })), fork);
  expect(result.removals).toBe(dropped.length);
  await rig.startIndexer({ REORG_WINDOW: '4' });
  await rig.expectConverged();
});
