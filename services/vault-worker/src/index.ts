// The public entry of @vaults/vault-worker (package.json "exports"): main.ts runs it, tests import it.
export { vaultWorker } from './service';
