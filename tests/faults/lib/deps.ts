// The suite needs bullmq and pg directly. They are dependencies of @vaults/testkit (which the
// tests package depends on); resolving them from there keeps one copy of each and adds no
// dependency to the workspace.
import { createRequire } from 'node:module';

const fromTestkit = createRequire(require.resolve('@vaults/testkit/package.json'));

export const bullmq = fromTestkit('bullmq') as typeof import('bullmq');
export const pg = fromTestkit('pg') as typeof import('pg');
