import { decodeEventLog, parseAbi, toEventSelector, type Hex, type Log } from 'viem';
import type { FollowerEventInput, TradeExecutedInput, VaultDeployedInput } from '@vaults/shared';

// The one module that knows the chain's ABI. Everything else sees `IndexedEvent`s: the job
// contract's payloads with their kind. Mapping another ABI in means writing another
// `EventMapping` (its two ABIs and a `toEvent`), nothing else.

export const FACTORY_ABI = parseAbi([
  'event VaultDeployed(address indexed vault, address indexed leader, address baseAsset, string name)',
]);
export const VAULT_ABI = parseAbi([
  'event TradeExecuted(address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut, int256 pnl)',
  'event FollowerSubscribed(address indexed follower, uint256 amount)',
  'event FollowerUnsubscribed(address indexed follower, uint256 amount)',
]);

export type IndexedEvent =
  | { kind: 'VaultDeployed'; payload: VaultDeployedInput }
  | { kind: 'TradeExecuted'; payload: TradeExecutedInput }
  | { kind: 'FollowerSubscribed' | 'FollowerUnsubscribed'; payload: FollowerEventInput };

/** What every payload carries, from the log and its block. */
export interface LogContext {
  chainId: number;
  blockTimestamp: number;
}

export interface EventMapping {
  /** Events of the factory: each one names a new vault whose own logs are then indexed. */
  factoryAbi: typeof FACTORY_ABI;
  vaultAbi: typeof VAULT_ABI;
  /** A fetched log as a contract payload, or null for a log that is not one of ours. */
  toEvent(log: Log, ctx: LogContext): IndexedEvent | null;
  /** The vault a factory event deployed. */
  vaultOf(event: IndexedEvent): Hex | null;
}

const lc = (s: string) => s.toLowerCase();

function logFields(log: Log, ctx: LogContext) {
  if (log.transactionHash === null || log.logIndex === null || log.blockNumber === null || log.blockHash === null) {
    throw new Error('pending log: the indexer only reads mined blocks');
  }
  return {
    chainId: ctx.chainId,
    txHash: lc(log.transactionHash),
    logIndex: log.logIndex,
    blockNumber: Number(log.blockNumber),
    blockHash: lc(log.blockHash),
    blockTimestamp: ctx.blockTimestamp,
  };
}

// A log that does not decode is another event of the same address (or an anonymous one): not ours.
// A log whose first topic is none of an ABI's event selectors is not tried with it: viem would
// throw (an error built with its stack and message, 4% of the per-block indexer's CPU when every
// trade log was first tried as a factory event), and the answer is the same null.
const selectorsOf = (abi: typeof FACTORY_ABI | typeof VAULT_ABI) => new Set(abi.map((e) => toEventSelector(e)));
const FACTORY_SELECTORS = selectorsOf(FACTORY_ABI);
const VAULT_SELECTORS = selectorsOf(VAULT_ABI);
const mayBe = (selectors: ReadonlySet<string>, log: Log) => log.topics[0] !== undefined && selectors.has(log.topics[0].toLowerCase());

function decodeFactory(log: Log) {
  if (!mayBe(FACTORY_SELECTORS, log)) return null;
  try {
    return decodeEventLog({ abi: FACTORY_ABI, data: log.data, topics: log.topics, strict: true });
  } catch {
    return null;
  }
}

function decodeVault(log: Log) {
  if (!mayBe(VAULT_SELECTORS, log)) return null;
  try {
    return decodeEventLog({ abi: VAULT_ABI, data: log.data, topics: log.topics, strict: true });
  } catch {
    return null;
  }
}

export const contractMapping: EventMapping = {
  factoryAbi: FACTORY_ABI,
  vaultAbi: VAULT_ABI,
  toEvent(log, ctx) {
    const base = logFields(log, ctx);
    const factory = decodeFactory(log);
    if (factory?.eventName === 'VaultDeployed') {
      const a = factory.args;
      return {
        kind: 'VaultDeployed',
        payload: { ...base, vaultAddress: lc(a.vault), leader: lc(a.leader), baseAsset: lc(a.baseAsset), name: a.name },
      };
    }
    const vault = decodeVault(log);
    if (!vault) return null;
    const vaultAddress = lc(log.address);
    if (vault.eventName === 'TradeExecuted') {
      const a = vault.args;
      return {
        kind: 'TradeExecuted',
        payload: {
          ...base,
          vaultAddress,
          tokenIn: lc(a.tokenIn),
          tokenOut: lc(a.tokenOut),
          amountIn: a.amountIn.toString(),
          amountOut: a.amountOut.toString(),
          pnl: a.pnl.toString(),
        },
      };
    }
    const a = vault.args;
    const action = vault.eventName === 'FollowerSubscribed' ? 'DEPOSIT' : 'WITHDRAW';
    return {
      kind: vault.eventName as 'FollowerSubscribed' | 'FollowerUnsubscribed',
      payload: { ...base, vaultAddress, followerAddress: lc(a.follower), amount: a.amount.toString(), action },
    };
  },
  vaultOf(event) {
    return event.kind === 'VaultDeployed' ? (event.payload.vaultAddress as Hex) : null;
  },
};
