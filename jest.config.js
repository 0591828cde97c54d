// One jest configuration for the workspace: `pnpm test` runs the unit and integration projects,
// `pnpm test:deploy` the deploy project, `pnpm test:tls` the tls project. Tests that need Redis and Postgres create their own database
// and queue names (packages/testkit: createTestDatabase, uniqueQueueSuffix), so they never see
// each other's data.
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/packages/*/test/**/*.unit.test.ts', '<rootDir>/services/*/test/**/*.unit.test.ts'],
    },
    {
      displayName: 'integration',
      transform,
      testEnvironment: 'node',
      testMatch: [
        '<rootDir>/packages/*/test/**/*.int.test.ts',
        '<rootDir>/services/*/test/**/*.int.test.ts',
        '<rootDir>/tests/**/*.test.ts',
      ],
      testPathIgnorePatterns: ['<rootDir>/tests/faults/', '<rootDir>/tests/deploy/', '<rootDir>/tests/tls/'],
    },
    {
      // Manifests, alert rules, Dockerfiles: these need system tools (kubectl, promtool), so they
      // are a suite of their own (`pnpm test:deploy`) and `pnpm test` runs on a machine without them.
      displayName: 'deploy',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/tests/deploy/**/*.test.ts'],
    },
    {
      // A throwaway TLS Postgres and TLS Redis (docs/OPERATIONS.md): needs openssl, the PostgreSQL
      // server binaries (initdb, pg_ctl) and a redis-server built with TLS, so `pnpm test:tls`.
      displayName: 'tls',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/tests/tls/**/*.test.ts'],
    },
  ],
};
