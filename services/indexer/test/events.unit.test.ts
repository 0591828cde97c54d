import { encodeAbiParameters, encodeEventTopics, type Hex, type Log } from 'viem';
import { FACTORY_ABI, VAULT_ABI, contractMapping } from '../src/events';
import { prepareEventJob } from '@vaults/shared';
import type { IndexedEvent } from '../src/events';

// The decoding module against logs encoded from the contract's event signatures.

/** The contract's reason to reject the event's payload, or null. */
function payloadProblem(e: IndexedEvent): string | null {
  const job = prepareEventJob(e.kind, e.payload);
  return 'problem' in job ? job.problem : null;
}

// Lower-case in (viem checks mixed case against the checksum); decoding returns checksummed ones.
const VAULT = '0x00000000000000000000000000000000000000aa' as Hex;
const ctx = { chainId: 31337, blockTimestamp: 1_700_000_123 };

function log(address: Hex, topics: readonly unknown[], data: Hex, logIndex = 3): Log {
  return {
    address, topics: topics as [Hex, ...Hex[]], data, logIndex, blockNumber: 42n, transactionIndex: 0, removed: false,
    blockHash: `0x${'b'.repeat(64)}`, transactionHash: `0x${'A'.repeat(64)}`,
  };
}

it('VaultDeployed: vault, leader, base asset and name, lower-cased, with identity and position', () => {
  const topics = encodeEventTopics({ abi: FACTORY_ABI, eventName: 'VaultDeployed', args: { vault: VAULT, leader: '0x00000000000000000000000000000000000000bb' } });
  const data = encodeAbiParameters([{ type: 'address' }, { type: 'string' }], ['0x00000000000000000000000000000000000000cc', 'Alpha']);
  const e = contractMapping.toEvent(log('0x0000000000000000000000000000000000000fac', topics, data), ctx);
  expect(e).toEqual({
    kind: 'VaultDeployed',
    payload: {
      chainId: 31337, txHash: `0x${'a'.repeat(64)}`, logIndex: 3, blockNumber: 42, blockHash: `0x${'b'.repeat(64)}`, blockTimestamp: 1_700_000_123,
      vaultAddress: VAULT.toLowerCase(), leader: '0x00000000000000000000000000000000000000bb', baseAsset: '0x00000000000000000000000000000000000000cc', name: 'Alpha',
    },
  });
  expect(contractMapping.vaultOf(e!)).toBe(VAULT.toLowerCase());
  expect(payloadProblem(e!)).toBeNull();
});

it('TradeExecuted: amounts as decimal strings, a negative pnl near -2^255 digit for digit', () => {
  const pnl = -(2n ** 255n) + 1n;
  const topics = encodeEventTopics({ abi: VAULT_ABI, eventName: 'TradeExecuted', args: { tokenIn: VAULT, tokenOut: VAULT } });
  const data = encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'int256' }], [2n ** 256n - 1n, 7n, pnl]);
  const e = contractMapping.toEvent(log(VAULT, topics, data), ctx)!;
  expect(e.kind).toBe('TradeExecuted');
  expect(e.payload).toMatchObject({ vaultAddress: VAULT.toLowerCase(), amountIn: (2n ** 256n - 1n).toString(), amountOut: '7', pnl: pnl.toString() });
  expect(payloadProblem(e)).toBeNull();
});

it.each([
  ['FollowerSubscribed', 'DEPOSIT'],
  ['FollowerUnsubscribed', 'WITHDRAW'],
] as const)('%s: action %s', (eventName, action) => {
  const topics = encodeEventTopics({ abi: VAULT_ABI, eventName, args: { follower: '0x00000000000000000000000000000000000000dd' } });
  const e = contractMapping.toEvent(log(VAULT, topics, encodeAbiParameters([{ type: 'uint256' }], [5n])), ctx)!;
  expect(e).toMatchObject({ kind: eventName, payload: { followerAddress: '0x00000000000000000000000000000000000000dd', amount: '5', action } });
});

it('a log that is not one of the contract events is not an event (null), and a name the contract rejects is a problem', () => {
  expect(contractMapping.toEvent(log(VAULT, [`0x${'1'.repeat(64)}`], '0x'), ctx)).toBeNull();
  const topics = encodeEventTopics({ abi: FACTORY_ABI, eventName: 'VaultDeployed', args: { vault: VAULT, leader: VAULT } });
  const data = encodeAbiParameters([{ type: 'address' }, { type: 'string' }], [VAULT, 'x'.repeat(101)]);
  expect(payloadProblem(contractMapping.toEvent(log(VAULT, topics, data), ctx)!)).toMatch(/name/);
});
