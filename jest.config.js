// One jest run over the workspace. Tests that need Redis and Postgres create their own database
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
      testPathIgnorePatterns: ['<rootDir>/tests/faults/'],
    },
  ],
};
