import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The indexer's private registry: what a platform team alerts on (docs/INDEXER.md). */
export function createIndexerMetrics(service = 'indexer') {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    headBlock: new Gauge({ name: 'vaults_indexer_head_block', help: 'Latest block number reported by the node.', registers: r }),
    cursorBlock: new Gauge({
      name: 'vaults_indexer_cursor_block',
      help: 'Last block whose jobs Redis accepted (the stored cursor).',
      registers: r,
    }),
    blocksBehind: new Gauge({
      name: 'vaults_indexer_blocks_behind',
      help: 'Head minus cursor: blocks the indexer still has to read (confirmations included).',
      registers: r,
    }),
    blocksIndexed: new Counter({
      name: 'vaults_indexer_blocks_indexed_total',
      help: 'Blocks indexed (their logs enqueued and the cursor advanced past them); its rate is the backfill rate.',
      registers: r,
    }),
    logsEnqueued: new Counter({
      name: 'vaults_indexer_logs_enqueued_total',
      help: 'Events Redis accepted, by kind (job name) and whether they were removal copies.',
      labelNames: ['kind', 'removed'],
      registers: r,
    }),
    logsSkipped: new Counter({
      name: 'vaults_indexer_logs_skipped_total',
      help: 'Logs of watched addresses that could not be sent: not a contract event, or a payload the contract rejects (e.g. a vault name over 100 characters).',
      labelNames: ['reason'],
      registers: r,
    }),
    reorgs: new Counter({ name: 'vaults_indexer_reorgs_total', help: 'Re-organisations detected and rewound.', registers: r }),
    reorgDepth: new Histogram({
      name: 'vaults_indexer_reorg_depth_blocks',
      help: 'Blocks dropped per re-organisation (cursor minus common ancestor).',
      buckets: [1, 2, 3, 5, 8, 13, 21, 34, 64, 128, 256],
      registers: r,
    }),
    deepReorg: new Gauge({
      name: 'vaults_indexer_deep_reorg',
      help: '1 while a re-organisation deeper than REORG_WINDOW halts the indexer (manual recovery: docs/INDEXER.md).',
      registers: r,
    }),
    stalled: new Gauge({
      name: 'vaults_indexer_stalled',
      help: '1 while ticks in a row make no progress, by reason (chain_moved, incomplete_logs, lagging_node, deep_reorg); the loop backs off meanwhile and /readyz says why.',
      labelNames: ['reason'],
      registers: r,
    }),
    stalledTicks: new Counter({
      name: 'vaults_indexer_stalled_ticks_total',
      help: 'Ticks that made no progress, by reason.',
      labelNames: ['reason'],
      registers: r,
    }),
    fenced: new Counter({
      name: 'vaults_indexer_fenced_total',
      help: 'Writes refused because another writer took the stream (a higher epoch): this replica stopped writing.',
      registers: r,
    }),
    rpcErrors: new Counter({
      name: 'vaults_indexer_rpc_errors_total',
      help: 'Failed JSON-RPC calls, by method and kind (limit: range too large, rate_limit: the provider asks to slow down, transient: anything else).',
      labelNames: ['method', 'kind'],
      registers: r,
    }),
    rpcRetries: new Counter({
      name: 'vaults_indexer_rpc_retries_total',
      help: 'JSON-RPC calls retried after a transient error, by method.',
      labelNames: ['method'],
      registers: r,
    }),
    blockRange: new Gauge({
      name: 'vaults_indexer_block_range',
      help: 'Current eth_getLogs block range (adaptive).',
      registers: r,
    }),
    vaults: new Gauge({ name: 'vaults_indexer_vaults', help: 'Vaults discovered from the factory.', registers: r }),
    leader: new Gauge({
      name: 'vaults_indexer_leader',
      help: '1 on the replica holding the single-writer lock, 0 on a standby.',
      registers: r,
    }),
    rangeDuration: new Histogram({
      name: 'vaults_indexer_range_duration_seconds',
      help: 'Wall time to fetch, enqueue and commit one block range.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    }),
  };
}

export type IndexerMetrics = ReturnType<typeof createIndexerMetrics>;
