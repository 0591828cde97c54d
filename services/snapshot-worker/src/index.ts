// The public entry of @vaults/snapshot-worker (package.json "exports"): main.ts runs it, tests import it.
export { snapshotWorker } from './service';
export { advanceSnapshot, snapshotVault, SNAPSHOT_PAGE_SIZE, type SnapshotResult } from './store';
export * from './share-price';
export { DEFAULT_SERIES_BUCKET_SECONDS, type SeriesRow } from './series';
