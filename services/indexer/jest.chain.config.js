// pnpm test:chain: the indexer against a real anvil, Redis and Postgres (services/indexer/test/*.chain.test.ts).
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '../..',
  testTimeout: 300_000,
  transform,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/services/indexer/test/**/*.chain.test.ts'],
};
