// The snapshot's room: the fold of a vault's events into its metrics (share-price.ts, pure) and
// its series (series.ts), run incrementally under the vault's lock (fold.ts, reading events with
// read-events.ts; where a fold stands and resumes is ../fold-state.ts), the start-up requests
// for vaults marked to recompute (marked-vaults.ts) and the sweep of snapshot-due marks that lost
// their request (due-vaults.ts). The snapshot worker's service is the rest.
export { advanceSnapshot, snapshotVault, SNAPSHOT_PAGE_SIZE, type SnapshotResult, type SnapshotRunOptions } from './fold';
export * from './share-price';
export { DEFAULT_SERIES_BUCKET_SECONDS, type SeriesRow } from './series';
export { MARKED_VAULTS_CHUNK, markFromOrigin, requestMarkedSnapshots, type SnapshotRequester } from './marked-vaults';
export { requestDueSnapshots } from './due-vaults';
