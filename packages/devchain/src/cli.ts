// The local chain of docker/compose.yaml's `chain` profile (image target `devchain`):
//   cli.ts anvil  anvil on 0.0.0.0:ANVIL_PORT (8545), chain id 31337, until SIGTERM/SIGINT;
//   cli.ts seed   on RPC_URL: the reference contracts (solc-js), DEVCHAIN_VAULTS vaults and
//                 DEVCHAIN_BLOCKS blocks of a seeded trading session (DEVCHAIN_SEED), then exits.
// The factory is the first contract of anvil's first dev account on a fresh chain, so its address
// is known in advance (the compose file gives it to the indexer as FACTORY_ADDRESS); seed checks
// it, and does nothing on a chain that already has it (a restarted setup container).
import { Anvil } from './anvil';
import { DEVCHAIN_FACTORY, DevChain } from './chain';
import { deployVaults, newSession, tradeBlocks } from './session';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function anvil(): Promise<void> {
  const a = await Anvil.start({ host: '0.0.0.0', port: num('ANVIL_PORT', 8545) });
  console.log(`anvil listening on 0.0.0.0:${a.port} (chain id 31337)`);
  await new Promise<void>((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve());
  });
  await a.stop('SIGTERM');
}

async function seed(): Promise<void> {
  const url = process.env.RPC_URL;
  if (!url) throw new Error('RPC_URL is not set');
  const chain = await new DevChain(url).init();
  const code = await chain.client.getCode({ address: DEVCHAIN_FACTORY });
  if (code && code !== '0x') {
    console.log(`already seeded: the factory ${DEVCHAIN_FACTORY} exists, head ${await chain.head()}`);
    return;
  }
  const factory = await chain.deployFactory();
  if (factory !== DEVCHAIN_FACTORY) throw new Error(`the factory landed at ${factory}, not ${DEVCHAIN_FACTORY}: not a fresh chain?`);
  const vaults = await deployVaults(chain, num('DEVCHAIN_VAULTS', 3));
  await tradeBlocks(chain, newSession(vaults, num('DEVCHAIN_SEED', 42)), num('DEVCHAIN_BLOCKS', 20), 3);
  await chain.setAutomine(true);
  console.log(`seeded: factory ${factory} at block ${chain.factoryBlock}, ${vaults.length} vaults, head ${await chain.head()}`);
}

const command = process.argv[2];
const run = command === 'anvil' ? anvil : command === 'seed' ? seed : undefined;
if (!run) {
  console.error('usage: cli.ts anvil | seed');
  process.exit(2);
}
run().then(
  () => process.exit(0),
  (err) => {
    console.error(`devchain ${command} failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
