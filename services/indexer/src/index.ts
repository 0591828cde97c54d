// The public entry of @vaults/indexer (package.json "exports"): main.ts runs the service; the
// deploy tests read its configuration schema and metrics from here; the operations CLI rewinds
// the stream with rewindStream (no indexer need run: it takes the writer lock itself) and finds
// the block of a time with blockAtTime. Signatures documented in docs/INDEXER.md ("Rewind").
export { loadIndexerConfig, chainSchema, INDEXER_DEFAULTS, type IndexerConfig, type ChainConfig } from './config';
export { createIndexerMetrics } from './metrics';
export { rewindStream, RewindRefusedError, type RewindOptions, type RewindResult } from './rewind';
export { blockAtTime, findBlockAtTime } from './block-at-time';
export { createChainReader, type ChainReader } from './rpc';
export { ChainMismatchError } from './chain-binding';
