import { z } from 'zod';
import { INDEXER, loadConfig, ConfigError, type Config } from '@vaults/shared';

// The indexer's environment, parsed once at start-up. The settings every service shares
// (Redis, Postgres, queue prefix, log level, sidecar, shutdown) come from the shared schema; the
// chain's own from the schema below. A bad variable stops start-up naming it, never its value.

export const INDEXER_DEFAULTS = { concurrency: 1, metricsPort: INDEXER.port };

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const hexAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be 0x + 40 hex digits');

export const chainSchema = z
  .object({
    /** One node, or several separated by commas: tried in order, the next when one fails (docs/INDEXER.md). */
    RPC_URL: z
      .string()
      .transform((v) => v.split(',').map((u) => u.trim()).filter(Boolean))
      .pipe(
        z
          .array(z.string())
          .min(1, 'must name at least one node')
          .refine((urls) => urls.every((u) => /^https?:\/\//.test(u)), 'must start with http:// or https:// (each node of the list)'),
      ),
    FACTORY_ADDRESS: hexAddress,
    /** First block to index (the factory's deployment block). Required: never "from the head". */
    START_BLOCK: int(0, Number.MAX_SAFE_INTEGER),
    /** Optional guard: start-up fails when the node's eth_chainId differs. */
    CHAIN_ID: int(1, Number.MAX_SAFE_INTEGER).optional(),
    CONFIRMATIONS: int(0, 10_000).default(0),
    /** Blocks below head - REORG_WINDOW are final; deeper re-organisations are an alarm. */
    REORG_WINDOW: int(1, 10_000).default(128),
    /** Sent logs are remembered this many blocks below the head: how deep `rewind` can retract. */
    SENT_LOG_RETENTION: int(0, 100_000_000).default(100_000),
    POLL_INTERVAL_MS: int(10, 600_000).default(2000),
    /** eth_getLogs block ranges adapt between 1 and MAX_BLOCK_RANGE, starting at INITIAL_BLOCK_RANGE. */
    INITIAL_BLOCK_RANGE: int(1, 1_000_000).default(500),
    MAX_BLOCK_RANGE: int(1, 1_000_000).default(5000),
    /** Vault addresses per eth_getLogs call. */
    ADDRESS_CHUNK_SIZE: int(1, 10_000).default(500),
    RPC_TIMEOUT_MS: int(100, 600_000).default(15_000),
    /** Attempts of one RPC call before the tick fails (and is retried after POLL_INTERVAL_MS). */
    RPC_MAX_ATTEMPTS: int(1, 100).default(5),
    RPC_RETRY_BASE_MS: int(1, 60_000).default(250),
    /** How often a standby replica tries to take the single-writer lock. */
    LOCK_RETRY_MS: int(10, 600_000).default(2000),
    /** Logs per range at most: a range with more is cut at a block boundary before anything is enqueued. */
    MAX_LOGS_PER_RANGE: int(1, 1_000_000).default(10_000),
    /** Jobs per addBulk call (one Redis round trip). */
    ENQUEUE_CHUNK_SIZE: int(1, 10_000).default(500),
    /** Read the next range while the current one is sent and committed (docs/INDEXER.md, "Read-ahead"): off, not faster here. */
    READ_AHEAD: z.enum(['true', 'false']).default('false'),
  })
  .refine((e) => e.INITIAL_BLOCK_RANGE <= e.MAX_BLOCK_RANGE, {
    message: 'must not exceed MAX_BLOCK_RANGE',
    path: ['INITIAL_BLOCK_RANGE'],
  })
  .refine((e) => e.SENT_LOG_RETENTION >= e.REORG_WINDOW, {
    message: 'must be at least REORG_WINDOW (removals on a re-organisation come from the sent logs)',
    path: ['SENT_LOG_RETENTION'],
  })
  .transform((e) => ({
    /** The nodes, in the order they are tried (viem's fallback transport). */
    rpcUrls: e.RPC_URL,
    /** The first node (the one used while it answers). */
    rpcUrl: e.RPC_URL[0]!,
    factoryAddress: e.FACTORY_ADDRESS.toLowerCase() as `0x${string}`,
    startBlock: e.START_BLOCK,
    chainId: e.CHAIN_ID,
    confirmations: e.CONFIRMATIONS,
    reorgWindow: e.REORG_WINDOW,
    sentLogRetention: e.SENT_LOG_RETENTION,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    initialBlockRange: e.INITIAL_BLOCK_RANGE,
    maxBlockRange: e.MAX_BLOCK_RANGE,
    addressChunkSize: e.ADDRESS_CHUNK_SIZE,
    rpcTimeoutMs: e.RPC_TIMEOUT_MS,
    rpcMaxAttempts: e.RPC_MAX_ATTEMPTS,
    rpcRetryBaseMs: e.RPC_RETRY_BASE_MS,
    lockRetryMs: e.LOCK_RETRY_MS,
    enqueueChunkSize: e.ENQUEUE_CHUNK_SIZE,
    maxLogsPerRange: e.MAX_LOGS_PER_RANGE,
    readAhead: e.READ_AHEAD === 'true',
  }));

export type ChainConfig = z.output<typeof chainSchema>;
export type IndexerConfig = Config & { chain: ChainConfig };

export function loadIndexerConfig(env: NodeJS.ProcessEnv): IndexerConfig {
  const shared = loadConfig(env, INDEXER_DEFAULTS);
  const parsed = chainSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  return { ...shared, chain: parsed.data };
}
