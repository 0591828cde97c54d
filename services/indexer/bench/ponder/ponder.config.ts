import { createConfig, factory } from 'ponder';
import { factoryAbi, vaultAbi } from './abis';

// The bench's Ponder app (services/indexer/bench/indexer-vs-ponder.ts starts it): the factory and
// every vault it deploys (Ponder's factory pattern), from the factory's block, into the Postgres
// database of DATABASE_URL. The driver sets every variable below.

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (the bench driver sets it)`);
  return v;
};
const FACTORY = env('PONDER_FACTORY') as `0x${string}`;
const START = Number(env('PONDER_START_BLOCK'));

export default createConfig({
  database: { kind: 'postgres', connectionString: env('DATABASE_URL') },
  chains: {
    // Fresh database per run, so no RPC cache from an earlier run either way.
    anvil: { id: 31337, rpc: env('PONDER_RPC_URL'), pollingInterval: 100 },
  },
  contracts: {
    Factory: { chain: 'anvil', abi: factoryAbi, address: FACTORY, startBlock: START },
    Vault: {
      chain: 'anvil',
      abi: vaultAbi,
      address: factory({ address: FACTORY, event: factoryAbi[0], parameter: 'vault' }),
      startBlock: START,
    },
  },
});
