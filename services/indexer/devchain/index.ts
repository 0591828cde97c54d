// The second public entry of @vaults/indexer ("./devchain" in package.json "exports"): a local
// chain with the reference contracts and the whole stack, for `pnpm demo:chain` and chain tests.
export * from './anvil';
export * from './chain';
export * from './contracts';
export * from './session';
export * from './stack';
