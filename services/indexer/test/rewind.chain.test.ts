import { waitUntil } from '@vaults/testkit';
import { loadIndexerConfig } from '../src/config';
import { RewindRefusedError, rewindStream } from '../src/rewind';
import { deployVaults, newSession, tradeBlocks, type SessionState } from '@vaults/devchain';
import { LimitProxy } from './support/limit-proxy';
import { Rig } from './support/rig';

// `rewind` checks the node before it retracts anything: a node behind
// the stored blocks is refused (a block it has not seen yet is not a dropped block), and so is a
// target block that is not on the node's chain with the hash the indexer stored (above the fork
// of a re-organisation deeper than the window), with the highest block it can rewind to instead.
// After a refusal nothing was sent and nothing moved: the database still converges to the
// reference model once the indexer runs again.

const E18 = 10n ** 18n;
const WINDOW = { REORG_WINDOW: '4', SENT_LOG_RETENTION: '1000' };
let rig: Rig;
let s: SessionState;

beforeAll(async () => {
  rig = await Rig.create();
  s = newSession(await deployVaults(rig.chain, 2), 11);
  await tradeBlocks(rig.chain, s, 8, 3);
});
afterAll(() => rig.close());

const metric = async (port: number, name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : NaN;
};

async function stopIndexers(): Promise<void> {
  for (const ix of rig.indexers.splice(0)) await ix.close();
}

it('a node 3 blocks behind the stored cursor: rewind refuses, says what to do, retracts nothing', async () => {
  await rig.startIndexer(WINDOW);
  const head = await rig.indexedToHead();
  await stopIndexers();
  const proxy = await LimitProxy.start(rig.anvil.url, 10_000);
  proxy.lagHead = head - 3; // a replica behind a load balancer: no block above head - 3 yet
  try {
    const config = loadIndexerConfig(rig.indexerEnv({ ...WINDOW, RPC_URL: proxy.url }));
    const refused = rewindStream(config, head - 6);
    await expect(refused).rejects.toThrow(RewindRefusedError);
    await expect(refused).rejects.toThrow(new RegExp(`head is ${head - 3}, below the stored cursor ${head}.*up-to-date node`, 's'));
  } finally {
    await proxy.close();
  }
  expect(await rig.cursor()).toBe(head); // nothing moved
  await rig.startIndexer(WINDOW);
  await tradeBlocks(rig.chain, s, 2, 2);
  await rig.expectConverged(); // and nothing was retracted (no removal is due)
  await stopIndexers();
});

it('rewind above the fork of a 10-block re-organisation (REORG_WINDOW=4) is refused; the block it suggests recovers', async () => {
  const ix = await rig.startIndexer(WINDOW);
  await tradeBlocks(rig.chain, s, 12, 3);
  const head = await rig.indexedToHead();
  const fork = head - 10;
  const dropped = await rig.eventsAfter(fork);
  expect(new Set(dropped.map((e) => e.blockNumber)).size).toBe(10); // a log in every dropped block
  rig.dropped.push(...dropped);
  // The new branch has a trade at fork + 2 that the old one did not.
  await rig.chain.reorg(10, [[rig.chain.tradeTx(s.vaults[0]!.address, s.vaults[0]!.leader, 3n * E18), 1]]);
  await rig.chain.mine(2);
  await waitUntil(async () => (await metric(ix.port, 'vaults_indexer_deep_reorg')) === 1, 30_000, 'the deep re-organisation alarm');
  await stopIndexers();

  const config = loadIndexerConfig(rig.indexerEnv(WINDOW));
  const above = fork + 4;
  const refused = await rewindStream(config, above).then(
    () => null,
    (err: unknown) => err,
  );
  expect(refused).toBeInstanceOf(RewindRefusedError);
  expect((refused as Error).message).toMatch(new RegExp(`block ${above}.*not on the node's chain`, 's'));
  const suggestion = (refused as RewindRefusedError).suggestion;
  expect(suggestion).not.toBeNull();
  expect(suggestion!).toBeLessThanOrEqual(fork);
  expect((refused as Error).message).toContain(`rewind to ${suggestion}`);
  expect(await rig.cursor()).toBe(head); // nothing moved, nothing sent

  // A dry run checks and counts, and changes nothing.
  const dry = await rewindStream(config, suggestion!, { dryRun: true, pageSize: 7 });
  expect(dry.removals).toBe(dropped.length);
  expect(await rig.cursor()).toBe(head);

  // Small pages: the removals of the dropped branch are found page by page.
  const result = await rewindStream(config, suggestion!, { pageSize: 7 });
  expect(result.removals).toBe(dropped.length);
  expect(result.pages).toBeGreaterThan(1);
  expect(await rig.cursor()).toBe(suggestion);
  await rig.startIndexer(WINDOW);
  await rig.expectConverged(); // the new branch (its trade at fork + 2 included) indexed, the old one retracted
});
