// A local chain for development and tests: anvil, the reference contracts (contracts/), a seeded
// session of trades, and the whole stack as processes, for `pnpm demo:chain`, the indexer's chain
// tests and benchmarks, and compose's `chain` profile (cli.ts). Never part of a service image.
export * from './anvil';
export * from './chain';
export * from './contracts';
export * from './session';
export * from './stack';
export * from './workers';
