import { Client } from 'pg';
import { createTestDatabase } from '@vaults/testkit';

// The small writer tools' (sql-profile-cli, sql-plans, statement-cpu) common frame: a throwaway
// migrated database and a connection to it for the run, both removed after; a failure prints
// its stack and exits 1.

export function runOnScratchDatabase(prefix: string, fn: (pg: Client, url: string) => Promise<void>): void {
  const run = async () => {
    const db = await createTestDatabase(prefix);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      await fn(pg, db.url);
    } finally {
      await pg.end();
      await db.drop();
    }
  };
  run().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
