import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { applyMigrations, ensureDatabase } from '@vaults/shared';

/** The Postgres server tests use; each test run makes databases of its own on it. */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A new, migrated database with a unique name (on serverUrl's server); drop() removes it. */
export async function createTestDatabase(prefix = 'vaults_test', serverUrl = TEST_PG_URL): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  await applyMigrations(url.toString());
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const admin = new Client({ connectionString: serverUrl });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** A TestDatabase with a connected node-postgres client on it; drop() ends the client first. */
export interface TestDatabaseClient extends TestDatabase {
  pg: Client;
}

/** createTestDatabase, plus a client connected to the new database (the tests' usual pair). */
export async function createTestDatabaseClient(prefix?: string, serverUrl?: string): Promise<TestDatabaseClient> {
  const db = await createTestDatabase(prefix, serverUrl);
  const pg = new Client({ connectionString: db.url });
  try {
    await pg.connect();
  } catch (err) {
    await db.drop();
    throw err;
  }
  return {
    ...db,
    pg,
    drop: async () => {
      await pg.end();
      await db.drop();
    },
  };
}

/** A unique suffix for queue names, so concurrent runs never see each other's jobs. */
export function uniqueQueueSuffix(): string {
  return `-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
