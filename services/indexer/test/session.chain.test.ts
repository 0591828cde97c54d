import { deployVaults, newSession, tradeBlocks } from '@vaults/devchain';
import { Rig } from './support/rig';

// A scripted trading session on a real anvil, indexed while it happens and processed by the four
// workers: the drained database equals the reference model folded over the chain's logs.

let rig: Rig;
beforeAll(async () => {
  rig = await Rig.create();
});
afterAll(() => rig.close());

it('a trading session over many blocks: database = reference model of the canonical chain', async () => {
  const vaults = await deployVaults(rig.chain, 3);
  const s = newSession(vaults, 11);
  await tradeBlocks(rig.chain, s, 20);
  await rig.startIndexer(); // backfills what is there, then follows
  await tradeBlocks(rig.chain, s, 20);
  await rig.chain.setAutomine(true);
  vaults.push(...(await deployVaults(rig.chain, 1, 3)));
  await tradeBlocks(rig.chain, s, 10);
  const { events } = await rig.expectConverged();
  expect(events).toBeGreaterThan(60);
  process.stdout.write(`session: ${events} events over ${await rig.chain.head()} blocks, database = reference\n`);
}, 300_000);
