import { waitUntil } from '@vaults/testkit';
import { deployVaults, newSession, tradeBlocks, type SessionState } from '@vaults/devchain';
import { BalancerProxy } from './support/chain-proxies';
import { Rig } from './support/rig';

// Completeness: behind a load balancer, eth_getLogs reaches a replica 3 blocks behind the node that
// answers eth_blockNumber and the headers. The replica answers [] for its missing blocks (a
// vault deploy, its deposit and trade, deposits and trades of other vaults). Nothing may be
// committed for those blocks until their logs are confirmed; once the replica catches up, the
// database equals the reference model of the chain, with nothing lost.

const E18 = 10n ** 18n;
let rig: Rig;
let s: SessionState;

beforeAll(async () => {
  rig = await Rig.create();
  s = newSession(await deployVaults(rig.chain, 2), 17);
  await tradeBlocks(rig.chain, s, 4);
});
afterAll(() => rig.close());

it('a replica 3 blocks behind answers eth_getLogs: no trade, deposit or vault deploy is lost', async () => {
  const proxy = await new BalancerProxy(rig.anvil.url).start();
  try {
    const ix = await rig.startIndexer({ RPC_URL: proxy.url });
    await rig.indexedToHead();
    proxy.lag = 3;
    await tradeBlocks(rig.chain, s, 1, 3); // the replica has this one
    const [v2] = await deployVaults(rig.chain, 1, 2); // ...and not these three
    await rig.chain.deposit(v2!.address, rig.chain.accounts[9]!, 30n * E18);
    await rig.chain.trade(v2!.address, v2!.leader, 2n * E18);
    await rig.chain.mine(1);
    await tradeBlocks(rig.chain, s, 1, 3);
    const head = await rig.chain.head();

    // The indexer commits what the replica has confirmed, then waits, saying why.
    const stalled = async () => /vaults_indexer_stalled\{reason="incomplete_logs"[^}]*\} 1/.test(await (await fetch(`http://127.0.0.1:${ix.port}/metrics`)).text());
    await waitUntil(async () => ((await rig.cursor()) ?? 0) >= head - 3, 60_000, 'the indexer to index what the replica has');
    await waitUntil(async () => (await stalled()) || ((await rig.cursor()) ?? 0) > head - 3, 60_000, 'the indexer to wait, or to go on');
    expect(await rig.cursor()).toBe(head - 3); // nothing committed for the blocks the replica has not got
    expect(proxy.hidden).toBeGreaterThan(0);
    expect(proxy.refusals).toBeGreaterThan(0);
    const ready = await fetch(`http://127.0.0.1:${ix.port}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain('incomplete_logs');

    proxy.lag = 0; // the replica catches up
    s.vaults.push(v2!);
    await rig.expectCanonical();
    expect((await fetch(`http://127.0.0.1:${ix.port}/readyz`)).status).toBe(200);
  } finally {
    await proxy.close();
  }
});
