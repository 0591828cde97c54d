// The public entry of @vaults/snapshot-worker (package.json "exports"): main.ts runs it, tests import it.
export { snapshotWorker } from './service';
