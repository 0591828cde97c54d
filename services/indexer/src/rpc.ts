import { createPublicClient, fallback, http, type Block, type Hex, type Log, type PublicClient, type Transport } from 'viem';
import { redactSecrets, type Logger } from '@vaults/shared';
import type { ChainConfig } from './config';
import type { IndexerMetrics } from './metrics';
import { isRangeLimitError, isRateLimitError } from './range';

// JSON-RPC through viem (batching over HTTP). Retries are ours, not the transport's, for two
// reasons: every error and retry is counted by method, and a "range too large" error must reach
// the range logic at once (a retry of the same range would fail the same way). Several nodes
// (RPC_URL=a,b,c) go through viem's fallback transport: a call goes to the first node and, when
// it fails, to the next, and so on; our retries start again from the first. Errors leave this
// module with their URLs redacted (the key of a provider is often in its URL).

export class RangeTooLargeError extends Error {
  override readonly name = 'RangeTooLargeError';
}

/** A call that failed after its retries; the message names the method, never a node's secrets. */
export class RpcCallError extends Error {
  override readonly name = 'RpcCallError';
}

/** What an RPC error says, short (viem's message repeats the URL and the request body), redacted. */
export function rpcErrorMessage(err: unknown): string {
  const e = err as { shortMessage?: string; details?: string; message?: string } | undefined;
  const text = e?.shortMessage ? [e.shortMessage, e.details].filter(Boolean).join(' ') : (e?.message ?? String(err));
  return redactSecrets(text);
}

export function createTransport(cfg: Pick<ChainConfig, 'rpcUrls' | 'rpcTimeoutMs'>): Transport {
  const nodes = cfg.rpcUrls.map((url) => http(url, { batch: { batchSize: 200 }, retryCount: 0, timeout: cfg.rpcTimeoutMs }));
  // rank stays off: viem's ranking pings every node on a timer that cannot be stopped.
  return nodes.length === 1 ? nodes[0]! : fallback(nodes, { rank: false, retryCount: 0 });
}

export interface ChainReader {
  chainId(): Promise<number>;
  blockNumber(): Promise<number>;
  /** null when the node has no block at that height (a chain that got shorter). */
  block(number: number): Promise<Block | null>;
  getLogs(params: { address: Hex | Hex[]; fromBlock: number; toBlock: number }): Promise<Log[]>;
  /** eth_getLogs by block hash (EIP-234): a node that does not have the block must refuse. */
  logsOfBlock(params: { address: Hex | Hex[]; blockHash: Hex }): Promise<Log[]>;
}

export function createChainReader(cfg: ChainConfig, metrics: IndexerMetrics, log: Logger): ChainReader {
  const client: PublicClient = createPublicClient({
    transport: createTransport(cfg),
  });

  async function call<T>(method: string, fn: () => Promise<T>, opts: { rangeAware?: boolean; once?: boolean } = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const limit = opts.rangeAware && isRangeLimitError(err);
        metrics.rpcErrors.inc({ method, kind: limit ? 'limit' : isRateLimitError(err) ? 'rate_limit' : 'transient' });
        const message = rpcErrorMessage(err);
        if (limit) throw new RangeTooLargeError(message);
        if (opts.once || attempt >= cfg.rpcMaxAttempts) throw new RpcCallError(`${method} failed after ${attempt} attempts: ${message}`);
        const delay = Math.min(cfg.rpcRetryBaseMs * 2 ** (attempt - 1), 30_000) * (0.5 + Math.random() / 2);
        log.warn({ method, attempt, delay: Math.round(delay), err: message }, 'rpc call failed; retrying');
        metrics.rpcRetries.inc({ method });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  return {
    chainId: () => call('eth_chainId', () => client.getChainId()),
    blockNumber: () =>
      call('eth_blockNumber', async () => Number(await client.getBlockNumber({ cacheTime: 0 }))),
    block: (number) =>
      call('eth_getBlockByNumber', async () => {
        try {
          return await client.getBlock({ blockNumber: BigInt(number) });
        } catch (err) {
          if ((err as Error).name === 'BlockNotFoundError') return null;
          throw err;
        }
      }),
    getLogs: ({ address, fromBlock, toBlock }) =>
      call('eth_getLogs', () => client.getLogs({ address, fromBlock: BigInt(fromBlock), toBlock: BigInt(toBlock) }), {
        rangeAware: true,
      }),
    // Not retried: a refusal is the answer (the node has not got the block), and the caller
    // commits only up to the block before it.
    logsOfBlock: ({ address, blockHash }) => call('eth_getLogs', () => client.getLogs({ address, blockHash }), { once: true }),
  };
}
