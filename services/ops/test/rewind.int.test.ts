import { Client } from 'pg';
import { TEST_REDIS_URL, createTestDatabaseClient, type TestDatabaseClient } from '@vaults/testkit';
import { openContext } from '../src/context';
import { rewind } from '../src/rewind';
import type { HeaderSource } from '../src/block-at-time';
import { ops } from './support';

// The rewind command's own part: the target block (given, or the last one mined before a time),
// the dry run, and the refusal while an indexer holds the writer lock. What rewindStream does
// to the cursor and the sent logs is the indexer's, covered by its chain tests.

const FACTORY = '0x00000000000000000000000000000000000fac70';
let db: TestDatabaseClient;
let pg: Client;
const env = () => ({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, RPC_URL: 'http://127.0.0.1:9', FACTORY_ADDRESS: FACTORY, START_BLOCK: '100' });
const cursor = async () => Number((await pg.query(`SELECT "blockNumber"::text AS n FROM "IndexerCursor"`)).rows[0].n);

beforeAll(async () => {
  db = await createTestDatabaseClient();
  pg = db.pg;
  await pg.query(`INSERT INTO "IndexerCursor" ("streamId", "chainId", "blockNumber") VALUES ($1, 1, 500)`, [`1:${FACTORY}`]);
});
afterAll(async () => {
  await db?.drop();
});

it('--block --dry-run prints the cursor and the target, and changes nothing', async () => {
  const r = await ops(['rewind', '--block', '400', '--dry-run'], env());
  expect(r).toMatchObject({ code: 0, err: '' });
  expect(r.out).toMatch(`stream 1:${FACTORY}: cursor at 500`);
  expect(r.out).toMatch(/summary: dry run, nothing changed: would rewind to block 400/);
  expect(await cursor()).toBe(500);
});

it('--time finds the last block mined before the time, from the start block on', async () => {
  // One block every 12 s from block 0 at 1_700_000_000.
  const headers: HeaderSource = { head: async () => 600, timestampOf: async (n) => 1_700_000_000 + 12 * n };
  const out: string[] = [];
  const ctx = openContext(env(), (l) => out.push(l));
  try {
    const r = await rewind(ctx, { time: '2023-11-14T23:13:20Z', dryRun: true, headers }); // 1_700_003_600 = block 300
    expect(r.to).toBe(299);
    expect(out.join('\n')).toMatch(/the last block before 2023-11-14T23:13:20.000Z is 299 \(mined 2023-11-14T23:13:08.000Z/);
    await expect(rewind(ctx, { time: String(1_700_000_000 + 12 * 99), dryRun: true, headers })).rejects.toThrow(/block 99 was mined at .*no block to rewind to/);
  } finally {
    await ctx.close();
  }
  expect(await cursor()).toBe(500);
});

it('refuses while an indexer holds the writer lock', async () => {
  // The indexer's lock key (services/indexer/src/lock.ts): (0x1de7, hashtext('indexer:' || factory)).
  const holder = new Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query(`SELECT pg_advisory_lock(${0x1de7}, hashtext($1))`, [`indexer:${FACTORY}`]);
    const r = await ops(['rewind', '--block', '400'], env());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/writer lock/);
    expect(await cursor()).toBe(500);
  } finally {
    await holder.end();
  }
});
