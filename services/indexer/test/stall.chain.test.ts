import { waitUntil } from '@vaults/testkit';
import { loadIndexerConfig } from '../src/config';
import { RewindRefusedError, rewindStream } from '../src/rewind';
import { deployVaults, newSession, tradeBlocks, type SessionState } from '@vaults/devchain';
import { Rig } from './support/rig';

// No hot loop: a re-organisation deeper than the window under a cursor that is already final
// (CONFIRMATIONS = REORG_WINDOW: the cursor's block is no longer among the recent ones). With one
// new block the next range is that one block, whose parent is not the cursor's block; with three,
// the range starts below the window. Either way the indexer must halt with the alarm (metric,
// readiness 503 naming the reason), back off, index nothing of the new branch on top of the old
// one, and recover with rewind.

const E18 = 10n ** 18n;
const ENV = { REORG_WINDOW: '4', CONFIRMATIONS: '4', SENT_LOG_RETENTION: '1000' };
let rig: Rig;
let s: SessionState;

beforeAll(async () => {
  rig = await Rig.create();
  s = newSession(await deployVaults(rig.chain, 2), 23);
  await tradeBlocks(rig.chain, s, 8);
});
afterAll(() => rig.close());

const metrics = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

async function deepReorgUnderFinalCursor(newBlocks: number): Promise<void> {
  for (const ix of rig.indexers.splice(0)) await ix.close();
  const ix = await rig.startIndexer(ENV);
  await tradeBlocks(rig.chain, s, 3);
  const cursor = await rig.indexedToHead(4);
  const fork = cursor - 2;
  // What the indexer sent from the blocks the re-organisation drops (those above the cursor it never read).
  rig.dropped.push(...(await rig.eventsAfter(fork)).filter((e) => e.blockNumber <= cursor));
  await rig.chain.reorg((await rig.chain.head()) - fork, [[rig.chain.tradeTx(s.vaults[1]!.address, s.vaults[1]!.leader, 8n * E18), 0]]);
  await tradeBlocks(rig.chain, s, newBlocks, 2);

  await waitUntil(async () => /^vaults_indexer_deep_reorg\{[^}]*\} 1$/m.test(await metrics(ix.port)), 30_000, 'the deep re-organisation alarm');
  await waitUntil(async () => /vaults_indexer_stalled\{reason="deep_reorg"[^}]*\} 1/.test(await metrics(ix.port)), 30_000, 'the stall metric');
  const ready = await fetch(`http://127.0.0.1:${ix.port}/readyz`);
  expect(ready.status).toBe(503);
  expect(JSON.stringify(await ready.json())).toContain('deep_reorg');
  expect(await rig.cursor()).toBe(cursor); // nothing of the new branch indexed on top of the old one

  await ix.close();
  rig.indexers.splice(0);
  // As the runbook says: rewind to the fork; when the tool cannot show that block is on the node's
  // chain (no hash stored at it, a dropped one above it), it refuses and names a block it can show.
  const config = loadIndexerConfig(rig.indexerEnv(ENV));
  await rewindStream(config, fork).catch(async (err: unknown) => {
    if (!(err instanceof RewindRefusedError) || err.suggestion === null) throw err;
    expect(err.suggestion).toBeLessThanOrEqual(fork);
    await rewindStream(config, err.suggestion);
  });
  await rig.startIndexer(ENV);
  await rig.chain.mine(4); // the confirmations, so the converged state reaches the last trades
  await rig.expectConverged(4);
}

it('a deep re-organisation under a final cursor, then one block: halted with the alarm, not a hot loop', async () => {
  await deepReorgUnderFinalCursor(1);
});

it('a deep re-organisation under a final cursor, then a range that starts below the window: halted, not indexed silently', async () => {
  await deepReorgUnderFinalCursor(3);
});
