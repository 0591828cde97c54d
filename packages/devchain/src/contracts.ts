import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Abi, Hex } from 'viem';

// The reference Solidity contracts, compiled with solc-js (offline, no native compiler).

export interface Compiled {
  abi: Abi;
  bytecode: Hex;
}

let cached: { factory: Compiled; vault: Compiled } | undefined;

export function compileContracts(): { factory: Compiled; vault: Compiled } {
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require('solc') as { compile(input: string): string };
  const source = readFileSync(join(__dirname, '..', 'contracts', 'VaultFactory.sol'), 'utf8');
  const input = {
    language: 'Solidity',
    sources: { 'VaultFactory.sol': { content: source } },
    settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(`solc: ${errors.map((e) => e.formattedMessage).join('\n')}`);
  const get = (name: string): Compiled => {
    const c = output.contracts['VaultFactory.sol']![name]!;
    return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  };
  cached = { factory: get('VaultFactory'), vault: get('Vault') };
  return cached;
}
