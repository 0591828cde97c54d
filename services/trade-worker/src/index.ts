// The public entry of @vaults/trade-worker (package.json "exports"): main.ts runs it, tests import it.
export { tradeWorker } from './service';
