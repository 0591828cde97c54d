// The public entry of @vaults/indexer (package.json "exports"): main.ts runs the service; the
// deploy tests read its configuration schema and metrics from here.
export { loadIndexerConfig, chainSchema, INDEXER_DEFAULTS, type IndexerConfig, type ChainConfig } from './config';
export { createIndexerMetrics } from './metrics';
export { rewindStream, type RewindResult } from './rewind';
