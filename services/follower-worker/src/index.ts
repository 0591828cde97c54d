// The public entry of @vaults/follower-worker (package.json "exports"): main.ts runs it, tests import it.
export { followerWorker } from './service';
