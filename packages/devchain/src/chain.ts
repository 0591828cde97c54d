import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  http,
  keccak256,
  parseEventLogs,
  type Abi,
  type Hex,
  type Log,
  type PublicClient,
  type WalletClient,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import type { AnyEvent } from '@vaults/testkit';
import { compileContracts } from './contracts';

// Drives the reference contracts on a local anvil: deploys, follower deposits and withdrawals,
// trades, blocks, re-organisations; and reads the canonical chain's events back with the
// compiler's ABI (independently of the indexer's decoding module) for the reference model.

const GAS = 300_000n;
/** anvil's default dev accounts (its --accounts are derived from this mnemonic). */
const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
const BASE_ASSET = '0x000000000000000000000000000000000000ba5e' as Hex;

/** The factory's address on a fresh anvil: the first contract of its first dev account (nonce 0). */
export const DEVCHAIN_FACTORY = '0x5fbdb2315678afecb367f032d93f642f64180aa3';

export class DevChain {
  readonly client: PublicClient;
  private readonly wallet: WalletClient;
  private readonly c = compileContracts();
  accounts: Hex[] = [];
  factory: Hex = '0x';
  factoryBlock = 0;

  constructor(readonly url: string) {
    // No cap on response size: canonicalEvents reads a whole benchmark chain in one call.
    this.client = createPublicClient({ chain: foundry, transport: http(url, { maxResponseBodySize: false }), pollingInterval: 50 });
    this.wallet = createWalletClient({ chain: foundry, transport: http(url) });
  }

  async init(): Promise<this> {
    this.accounts = ((await this.rpc<Hex[]>('eth_accounts')) as Hex[]).map((a) => a.toLowerCase() as Hex);
    return this;
  }

  private rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    return this.client.request({ method: method as never, params: params as never }) as Promise<T>;
  }

  async setAutomine(on: boolean): Promise<void> {
    await this.rpc('evm_setAutomine', [on]);
  }

  async mine(blocks = 1): Promise<void> {
    await this.rpc('anvil_mine', [`0x${blocks.toString(16)}`]);
  }

  async head(): Promise<number> {
    return Number(await this.client.getBlockNumber({ cacheTime: 0 }));
  }

  /** Deploys the factory (automine on) and remembers its block. */
  async deployFactory(): Promise<Hex> {
    const hash = await this.wallet.deployContract({
      abi: this.c.factory.abi,
      bytecode: this.c.factory.bytecode,
      account: this.accounts[0]!,
      chain: foundry,
    });
    const r = await this.client.waitForTransactionReceipt({ hash });
    this.factory = r.contractAddress!.toLowerCase() as Hex;
    this.factoryBlock = Number(r.blockNumber);
    return this.factory;
  }

  /** Sends a transaction; with automine off it waits in the pool for the next mine(). */
  private send(from: Hex, to: Hex, abi: Abi, functionName: string, args: unknown[], gas = GAS): Promise<Hex> {
    return this.wallet.writeContract({ address: to, abi, functionName, args, account: from, chain: foundry, gas } as never);
  }

  deployVault(leader: Hex, name: string): Promise<Hex> {
    return this.send(leader, this.factory, this.c.factory.abi, 'deployVault', [BASE_ASSET, name], 1_000_000n);
  }

  /** The vault a mined deployVault transaction created. */
  async vaultOf(tx: Hex): Promise<Hex> {
    const r = await this.client.waitForTransactionReceipt({ hash: tx });
    const [e] = parseEventLogs({ abi: this.c.factory.abi, logs: r.logs, eventName: 'VaultDeployed' as never }) as unknown as {
      args: { vault: Hex };
    }[];
    return e!.args.vault.toLowerCase() as Hex;
  }

  deposit(vault: Hex, follower: Hex, amount: bigint): Promise<Hex> {
    return this.send(follower, vault, this.c.vault.abi, 'deposit', [amount]);
  }

  withdraw(vault: Hex, follower: Hex, amount: bigint): Promise<Hex> {
    return this.send(follower, vault, this.c.vault.abi, 'withdraw', [amount]);
  }

  trade(vault: Hex, leader: Hex, pnl: bigint, amountIn = 1000n, amountOut = 990n): Promise<Hex> {
    const tokenIn = '0x00000000000000000000000000000000000000aa';
    const tokenOut = '0x00000000000000000000000000000000000000bb';
    return this.send(leader, vault, this.c.vault.abi, 'trade', [tokenIn, tokenOut, amountIn, amountOut, pnl]);
  }

  tradeMany(vault: Hex, leader: Hex, count: number, pnl: bigint): Promise<Hex> {
    const tokenIn = '0x00000000000000000000000000000000000000aa';
    const tokenOut = '0x00000000000000000000000000000000000000bb';
    return this.send(leader, vault, this.c.vault.abi, 'tradeMany', [tokenIn, tokenOut, BigInt(count), pnl], BigInt(40_000 + count * 4_000));
  }

  /** Calldata of a trade, for replacement transactions of anvil_reorg. */
  tradeTx(vault: Hex, leader: Hex, pnl: bigint) {
    return { from: leader, to: vault, data: encode(this.c.vault.abi, 'trade', ['0x00000000000000000000000000000000000000aa', '0x00000000000000000000000000000000000000bb', 500n, 480n, pnl]), gas: `0x${GAS.toString(16)}` };
  }

  depositTx(vault: Hex, follower: Hex, amount: bigint) {
    return { from: follower, to: vault, data: encode(this.c.vault.abi, 'deposit', [amount]), gas: `0x${GAS.toString(16)}` };
  }

  /**
   * A transaction signed here with the dev key of `from` (legacy, gas price 0), as raw bytes: the
   * same signed transaction can then be mined, dropped by a re-organisation and included again
   * (same hash), as real chains do. `nonceOffset` signs ahead of the account's pending nonce.
   */
  async signed(from: Hex, call: { to: Hex; data: Hex; gas?: bigint }, nonceOffset = 0): Promise<Hex> {
    const index = this.accounts.indexOf(from.toLowerCase() as Hex);
    if (index < 0) throw new Error(`${from} is not a dev account`);
    const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
    const nonce = (await this.client.getTransactionCount({ address: from, blockTag: 'pending' })) + nonceOffset;
    return account.signTransaction({ to: call.to, data: call.data, gas: call.gas ?? GAS, nonce, gasPrice: 0n, chainId: foundry.id, type: 'legacy' });
  }

  /** Calldata of the contract calls, for signed() and anvil_reorg. */
  calls = {
    deployVault: (name: string) => ({ to: this.factory, data: encode(this.c.factory.abi, 'deployVault', [BASE_ASSET, name]), gas: 1_000_000n }),
    trade: (vault: Hex, pnl: bigint) => ({ to: vault, data: encode(this.c.vault.abi, 'trade', ['0x00000000000000000000000000000000000000aa', '0x00000000000000000000000000000000000000bb', 700n, 690n, pnl]) }),
    deposit: (vault: Hex, amount: bigint) => ({ to: vault, data: encode(this.c.vault.abi, 'deposit', [amount]) }),
    withdraw: (vault: Hex, amount: bigint) => ({ to: vault, data: encode(this.c.vault.abi, 'withdraw', [amount]) }),
  };

  /** eth_sendRawTransaction: into the pool, mined by the next mine(). */
  sendRaw(raw: Hex): Promise<Hex> {
    return this.rpc<Hex>('eth_sendRawTransaction', [raw]);
  }

  /**
   * Replaces the last `depth` blocks with `depth` new ones holding `txs` (each at a block offset
   * from the fork point, 0-based): anvil_reorg. A transaction is either a call (signed by anvil)
   * or the raw bytes of a signed one (the same transaction again: same hash).
   */
  async reorg(depth: number, txs: [Record<string, string> | Hex, number][] = []): Promise<void> {
    // A new coinbase for the new branch: a sibling block that holds the same transactions, mined
    // within the same second, would otherwise be the very same block (same hash, no re-organisation).
    await this.rpc('anvil_setCoinbase', [`0x${(++this.branches).toString(16).padStart(40, '0')}`]);
    await this.rpc('anvil_reorg', [depth, txs]);
  }
  private branches = 0xc0ffee00;

  snapshot(): Promise<string> {
    return this.rpc<string>('evm_snapshot');
  }

  /** Back to a snapshot: the blocks mined since are gone (a chain that got shorter). */
  async revert(id: string): Promise<void> {
    await this.rpc('evm_revert', [id]);
  }

  /** Every contract event on the canonical chain now, as the reference model's events. */
  async canonicalEvents(chainId = foundry.id): Promise<AnyEvent[]> {
    const toBlock = BigInt(await this.head());
    const fromBlock = BigInt(this.factoryBlock);
    const factoryLogs = await this.client.getLogs({ address: this.factory, fromBlock, toBlock });
    const deploys = parseEventLogs({ abi: this.c.factory.abi, logs: factoryLogs }) as unknown as (Log & { eventName: string; args: Record<string, unknown> })[];
    const vaults = deploys.map((d) => d.args.vault as Hex);
    const vaultLogs = vaults.length ? await this.client.getLogs({ address: vaults, fromBlock, toBlock }) : [];
    const parsed = parseEventLogs({ abi: this.c.vault.abi, logs: vaultLogs }) as unknown as (Log & { eventName: string; args: Record<string, unknown> })[];
    const times = new Map<bigint, number>();
    const ts = async (n: bigint) => {
      if (!times.has(n)) times.set(n, Number((await this.client.getBlock({ blockNumber: n })).timestamp));
      return times.get(n)!;
    };
    const out: AnyEvent[] = [];
    for (const l of [...deploys, ...parsed]) {
      const base = { chainId, txHash: l.transactionHash!.toLowerCase(), logIndex: l.logIndex!, blockNumber: Number(l.blockNumber), blockHash: l.blockHash!.toLowerCase(), blockTimestamp: await ts(l.blockNumber!) };
      // An event's argument as the reference model's string (addresses lower-cased, integers in decimal).
      const arg = (name: string) => String(l.args[name]);
      const addr = (name: string) => arg(name).toLowerCase();
      const vaultAddress = l.address.toLowerCase();
      if (l.eventName === 'VaultDeployed') out.push({ type: 'deploy', ...base, vaultAddress: addr('vault'), leader: addr('leader'), name: arg('name'), baseAsset: addr('baseAsset') });
      else if (l.eventName === 'TradeExecuted') out.push({ type: 'trade', ...base, vaultAddress, tokenIn: addr('tokenIn'), tokenOut: addr('tokenOut'), amountIn: arg('amountIn'), amountOut: arg('amountOut'), pnl: arg('pnl') });
      else out.push({ type: 'follower', ...base, vaultAddress, followerAddress: addr('follower'), amount: arg('amount'), action: l.eventName === 'FollowerSubscribed' ? 'DEPOSIT' : 'WITHDRAW' });
    }
    return out;
  }
}

/** The hash of a signed transaction (its raw bytes): the same wherever a block includes it. */
export const txHashOf = (raw: Hex): Hex => keccak256(raw);

function encode(abi: Abi, functionName: string, args: unknown[]): Hex {
  return encodeFunctionData({ abi, functionName, args } as never);
}
