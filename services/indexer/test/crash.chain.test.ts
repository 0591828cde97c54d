import { waitUntil } from '@vaults/testkit';
import { deployVaults, newSession, tradeBlocks, type SessionState } from '@vaults/devchain';
import { IndexerProcess } from './support/child';
import { Rig } from './support/rig';

// The indexer as a real process: kill -9 mid-backfill and mid-follow, restart, nothing lost and
// nothing doubled (the database equals the reference model, no job failed). Then two replicas:
// one indexes, the other waits on the writer lock; kill -9 the leader, the standby takes over.

const E18 = 10n ** 18n;
let rig: Rig;
let s: SessionState;
const children: IndexerProcess[] = [];

beforeAll(async () => {
  rig = await Rig.create();
  s = newSession(await deployVaults(rig.chain, 3), 21);
  // A backfill of many small ranges: 60 blocks, some with 150 trades in one transaction.
  for (let i = 0; i < 6; i++) {
    await rig.chain.tradeMany(s.vaults[i % 3]!.address, s.vaults[i % 3]!.leader, 150, BigInt(i - 2) * E18);
    await tradeBlocks(rig.chain, s, 10, 4);
  }
});
afterAll(async () => {
  for (const c of children) await c.kill9();
  await rig.close();
});

async function spawnIndexer(extra: Record<string, string> = {}): Promise<IndexerProcess> {
  const c = await IndexerProcess.start(rig.indexerEnv({ INITIAL_BLOCK_RANGE: '2', MAX_BLOCK_RANGE: '2', ...extra }));
  children.push(c);
  return c;
}

it('kill -9 mid-backfill, then mid-follow; each restart resumes from the stored cursor', async () => {
  const start = rig.chain.factoryBlock;
  const head = await rig.chain.head();
  const first = await spawnIndexer();
  await waitUntil(async () => ((await rig.cursor()) ?? 0) >= start + 10, 60_000, 'the backfill to be under way');
  await first.kill9();
  const at = (await rig.cursor())!;
  expect(at).toBeLessThan(head); // really mid-backfill

  const second = await spawnIndexer();
  // It resumes from the cursor: the first block it reads is the one after (never the head, never 0).
  await waitUntil(async () => ((await rig.cursor()) ?? 0) > at, 60_000, 'the restarted indexer to advance');
  await rig.indexedToHead(0, 120_000);

  // Mid-follow: blocks keep coming while the indexer is killed.
  await rig.chain.setAutomine(true);
  const traded = tradeBlocks(rig.chain, s, 12, 3);
  await waitUntil(async () => ((await rig.cursor()) ?? 0) > head + 3, 60_000, 'following');
  await second.kill9();
  await traded;
  await spawnIndexer();
  const r = await rig.expectConverged();
  process.stdout.write(`kill -9: ${r.events} events, database = reference after two crashes\n`);
}, 300_000);

it('two replicas: one leads, one waits; kill -9 the leader and the standby takes over', async () => {
  for (const c of children.splice(0)) await c.kill9();
  const a = await spawnIndexer({ MAX_BLOCK_RANGE: '50' });
  await waitUntil(async () => (await a.metric('vaults_indexer_leader')) === 1, 60_000, 'the first replica to lead');
  const b = await spawnIndexer({ MAX_BLOCK_RANGE: '50' });
  await waitUntil(async () => (await b.metric('vaults_indexer_leader')) === 0, 60_000, 'the second replica to stand by');
  await tradeBlocks(rig.chain, s, 4, 3);
  await rig.indexedToHead();
  expect(await b.metric('vaults_indexer_leader')).toBe(0);
  expect(await b.metric('vaults_indexer_blocks_indexed_total')).toBe(0); // it never wrote

  await a.kill9();
  await waitUntil(async () => (await b.metric('vaults_indexer_leader')) === 1, 60_000, 'the standby to take over');
  await tradeBlocks(rig.chain, s, 6, 3);
  await rig.expectConverged();
  expect(await b.metric('vaults_indexer_blocks_indexed_total')).toBeGreaterThan(0);
}, 300_000);
