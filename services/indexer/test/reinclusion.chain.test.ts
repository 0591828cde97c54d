import type { Hex } from 'viem';
import { deployVaults, newSession, tradeBlocks, type SessionState } from '@vaults/devchain';
import { Rig } from './support/rig';

// Re-organisations as real chains make them: the dropped blocks' *signed transactions* come back
// (signed here with the dev keys, raw bytes kept): (a) at the same positions in a sibling block,
// (b) in a later block, (c) mixed with drops, depths 1-3, with a re-included vault deploy and a
// re-included withdrawal. Each check compares the drained database with the reference model of
// the final canonical chain's logs read back from the node (no removals added by the test), and
// no job failed.

const E18 = 10n ** 18n;
let rig: Rig;
let s: SessionState;

beforeAll(async () => {
  rig = await Rig.create();
  s = newSession(await deployVaults(rig.chain, 2), 13);
  await tradeBlocks(rig.chain, s, 4);
  await rig.startIndexer();
});
afterAll(() => rig.close());

/** Sends the raw transactions and mines one block with them; returns its number and hash. */
async function mineRaw(raws: Hex[]): Promise<{ number: number; hash: string }> {
  for (const raw of raws) await rig.chain.sendRaw(raw);
  await rig.chain.mine(1);
  const number = await rig.chain.head();
  return { number, hash: (await rig.chain.client.getBlock({ blockNumber: BigInt(number) })).hash };
}

const txHashes = async (from: number) => new Set((await rig.eventsAfter(from)).map((e) => `${e.txHash}:${e.logIndex}`));

it('(a) depth 1: the same signed trade and deposit at the same positions in a sibling block', async () => {
  const [v0, v1] = s.vaults;
  const follower = rig.chain.accounts[7]!;
  const trade = await rig.chain.signed(v0!.leader, rig.chain.calls.trade(v0!.address, 5n * E18));
  const deposit = await rig.chain.signed(follower, rig.chain.calls.deposit(v1!.address, 40n * E18));
  const mined = await mineRaw([trade, deposit]);
  await rig.indexedToHead();
  const before = await txHashes(mined.number - 1);
  expect(before.size).toBe(2);

  await rig.chain.reorg(1, [[trade, 0], [deposit, 0]]);
  const sibling = await rig.chain.client.getBlock({ blockNumber: BigInt(mined.number) });
  expect(sibling.hash).not.toBe(mined.hash); // another block...
  expect(await txHashes(mined.number - 1)).toEqual(before); // ...with the same logs (txHash, logIndex)
  await rig.expectCanonical();
});

it('(b) depth 2: a signed withdrawal and trade dropped, then included again in a later block', async () => {
  const [v0, v1] = s.vaults;
  const follower = rig.chain.accounts[7]!; // deposited in (a)
  const withdrawal = await rig.chain.signed(follower, rig.chain.calls.withdraw(v1!.address, 15n * E18));
  const trade = await rig.chain.signed(v0!.leader, rig.chain.calls.trade(v0!.address, -2n * E18));
  const first = await mineRaw([withdrawal]);
  await mineRaw([trade]);
  await rig.indexedToHead();

  await rig.chain.reorg(2, []); // two empty blocks in their place
  expect(await txHashes(first.number - 1)).toEqual(new Set());
  await rig.indexedToHead(); // the indexer retracts the dropped blocks' logs...
  const later = await mineRaw([withdrawal, trade]); // ...and the same transactions come back later
  expect(later.number).toBe(first.number + 2);
  expect((await rig.eventsAfter(first.number - 1)).map((e) => e.blockNumber)).toEqual([later.number, later.number]);
  await rig.expectCanonical();
});

it('(c) depth 3, mixed: a re-included vault deploy and its deposit, a trade re-included later, a withdrawal dropped for good', async () => {
  const [v0, v1] = s.vaults;
  const leader = v0!.leader;
  const follower = rig.chain.accounts[8]!;
  const quitter = rig.chain.accounts[7]!; // has a balance in v1 since (a)
  const deploy = await rig.chain.signed(leader, rig.chain.calls.deployVault('Re-included'));
  const b1 = await mineRaw([deploy]);
  const [deployed] = (await rig.eventsAfter(b1.number - 1)).filter((e) => e.type === 'deploy') as { vaultAddress: string }[];
  const vault = deployed!.vaultAddress as Hex;
  const deposit = await rig.chain.signed(follower, rig.chain.calls.deposit(vault, 25n * E18));
  await mineRaw([deposit]);
  const trade = await rig.chain.signed(leader, rig.chain.calls.trade(vault, 3n * E18));
  const withdrawal = await rig.chain.signed(quitter, rig.chain.calls.withdraw(v1!.address, 1n * E18));
  await mineRaw([trade, withdrawal]);
  await rig.indexedToHead();

  // Deploy and deposit at their offsets in sibling blocks; the third block empty.
  await rig.chain.reorg(3, [[deploy, 0], [deposit, 1]]);
  await rig.indexedToHead();
  await mineRaw([trade]); // the trade comes back a block later; the withdrawal does not
  const after = await rig.eventsAfter(b1.number - 1);
  expect(after.map((e) => e.type).sort()).toEqual(['deploy', 'follower', 'trade']);
  await rig.expectCanonical();
  // And the session goes on over the re-included vault's neighbours.
  await tradeBlocks(rig.chain, s, 3);
  await rig.expectCanonical();
});
