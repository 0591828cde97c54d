import { createPublicClient, http, type Block, type Hex, type Log, type PublicClient } from 'viem';
import type { Logger } from '@vaults/shared';
import type { ChainConfig } from './config';
import type { IndexerMetrics } from './metrics';
import { isRangeLimitError } from './range';

// JSON-RPC through viem (batching over HTTP). Retries are ours, not the transport's, for two
// reasons: every error and retry is counted by method, and a "range too large" error must reach
// the range logic at once (a retry of the same range would fail the same way).

export class RangeTooLargeError extends Error {
  override readonly name = 'RangeTooLargeError';
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
    transport: http(cfg.rpcUrl, { batch: { batchSize: 200 }, retryCount: 0, timeout: cfg.rpcTimeoutMs }),
  });

  async function call<T>(method: string, fn: () => Promise<T>, opts: { rangeAware?: boolean; once?: boolean } = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const limit = opts.rangeAware && isRangeLimitError(err);
        metrics.rpcErrors.inc({ method, kind: limit ? 'limit' : 'transient' });
        const message = (err as { shortMessage?: string; message?: string }).shortMessage ?? (err as Error).message;
        if (limit) throw new RangeTooLargeError(message);
        if (opts.once || attempt >= cfg.rpcMaxAttempts) throw err;
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
