// The one public entry of @vaults/shared (package.json "exports"): nothing outside this package
// imports a file under src/ (tests/architecture/boundaries.test.ts checks it). Three folders,
// each with its own index, and a fixed direction of imports: contract <- platform <- vault-events.
export * from './contract';
export * from './platform';
export * from './vault-events';
