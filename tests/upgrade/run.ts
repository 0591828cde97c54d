import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { applyMigrations } from '@vaults/shared';
import { Harness, diffStates, expectedState, readState, uniqueQueueSuffix, type AnyEvent } from '@vaults/testkit';
import { followerWorker } from '@vaults/follower-worker';
import { snapshotWorker } from '@vaults/snapshot-worker';
import { tradeWorker } from '@vaults/trade-worker';
import { vaultWorker } from '@vaults/vault-worker';
import { checkoutTree, evalIn, type Tree } from '../../bench/ab/tree';
import { createTreeDatabase } from '../../bench/ab/tree-run';
import { upgradeHistory } from './history';

// pnpm test:upgrade — the upgrade from contract version 1, for real (docs/DEPLOYMENT.md,
// "Upgrading to contract version 2"): a database populated by the previous main's workers
// (UPGRADE_FROM, default 53d9790, checked out into a temporary git worktree with its own install,
// as pnpm bench does for its baseline), with the indexer's sent logs knowing the block of some of
// its logs; then this tree's migrations and workers; the same logs re-sent with their hashes must
// double nothing and end exact against the reference model; then a re-organisation after the
// upgrade (blocks dropped, their transactions re-included) must end exact too.

const FROM = process.env.UPGRADE_FROM ?? '53d9790';
const log = (m: string) => process.stdout.write(`[upgrade] ${m}\n`);
const DEFS = [vaultWorker, tradeWorker, followerWorker, snapshotWorker];

/** Act 1: the previous main's own workers (its testkit's Harness) drain the version-1 events. */
function runVersion1(tree: Tree, databaseUrl: string, events: AnyEvent[]): void {
  const file = join(tree.root, '.upgrade-events.json');
  writeFileSync(file, JSON.stringify(events));
  const code = `
    const from = (m) => require(require.resolve(m, { paths: [require('node:path').join(process.cwd(), 'tests')] }));
    const t = require('@vaults/testkit');
    const defs = [from('@vaults/vault-worker').vaultWorker, from('@vaults/trade-worker').tradeWorker,
                  from('@vaults/follower-worker').followerWorker, from('@vaults/snapshot-worker').snapshotWorker];
    (async () => {
      const h = new t.Harness(process.env.UPGRADE_DATABASE_URL, t.uniqueQueueSuffix(), { BATCH_MAX_SIZE: '8', WORKER_CONCURRENCY: '8' });
      await h.start(defs);
      const events = JSON.parse(require('node:fs').readFileSync(process.env.UPGRADE_EVENTS, 'utf8'));
      // Deploys first: under version 1 too, an event of a vault not known yet waits out retries.
      await h.deliver(events.filter((e) => e.type === 'deploy'));
      await h.drained();
      await h.deliver(events.filter((e) => e.type !== 'deploy'));
      await h.drained();
      const failed = (await Promise.all(['vault', 'trade', 'follower'].map((k) => h.failedReasons(k)))).flat();
      await h.close();
      console.log(JSON.stringify({ failed }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const { failed } = evalIn<{ failed: string[] }>(tree.root, code, { UPGRADE_EVENTS: file, UPGRADE_DATABASE_URL: databaseUrl });
  if (failed.length) throw new Error(`version 1 workers failed jobs: ${failed.slice(0, 3).join('; ')}`);
}

/** The version-1 indexer's sent logs: every other canonical log (the rest pruned, or sent by another producer). */
async function writeSentLogs(pg: Client, canonical: AnyEvent[]): Promise<number> {
  const known = canonical.filter((_, i) => i % 2 === 0);
  for (const e of known) {
    const { type, ...payload } = e;
    await pg.query(
      `INSERT INTO "IndexerSentLog" ("streamId", "blockNumber", "blockHash", "txHash", "logIndex", kind, payload) VALUES ('upgrade', $1, $2, $3, $4, $5, $6)`,
      [e.blockNumber, e.blockHash, e.txHash, e.logIndex, type, JSON.stringify({ ...payload, removed: false })],
    );
  }
  return known.length;
}

async function one(pg: Client, sql: string): Promise<number> {
  return Number((await pg.query<{ n: string }>(sql)).rows[0]!.n);
}

async function expectExact(databaseUrl: string, delivered: AnyEvent[], when: string): Promise<void> {
  const diffs = diffStates(expectedState(delivered), await readState(databaseUrl));
  if (diffs.length) throw new Error(`${when}: the database differs from the reference model (${diffs.length}):\n  ${diffs.slice(0, 10).join('\n  ')}`);
  log(`${when}: exact against the reference model`);
}

async function main(): Promise<void> {
  const history = upgradeHistory();
  const tree = checkoutTree(FROM, log);
  let h: Harness | undefined;
  const db = await createTreeDatabase(tree, 'vaults_upgrade');
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  try {
    runVersion1(tree, db.url, history.v1);
    const v1Trades = await one(pg, `SELECT count(*)::text AS n FROM "Trade"`);
    const sent = await writeSentLogs(pg, history.canonical);
    log(`act 1 (${FROM}): ${history.v1.length} deliveries, ${v1Trades} trades; ${sent} of ${history.canonical.length} logs in the sent-log store`);

    const report = await applyMigrations(db.url);
    log(`migrated: ${JSON.stringify(report)}`);
    const marked = await one(pg, `SELECT (SELECT count(*) FROM "TradeEvent" WHERE "blockHash" LIKE 'v1:%') + (SELECT count(*) FROM "FollowerEvent" WHERE "blockHash" LIKE 'v1:%')
                                         + (SELECT count(*) FROM "VaultDeployEvent" WHERE "blockHash" LIKE 'v1:%') AS n`);
    const hashed = await one(pg, `SELECT (SELECT count(*) FROM "TradeEvent" WHERE "blockHash" LIKE '0x%') + (SELECT count(*) FROM "FollowerEvent" WHERE "blockHash" LIKE '0x%')
                                         + (SELECT count(*) FROM "VaultDeployEvent" WHERE "blockHash" LIKE '0x%') AS n`);
    if (hashed === 0 || marked === 0) throw new Error(`expected some version-1 rows hashed from the sent logs and some marked, got ${hashed} and ${marked}`);
    log(`version-1 ledger rows: ${hashed} given their block's hash by the sent logs, ${marked} marked (hash unknown)`);

    h = new Harness(db.url, uniqueQueueSuffix(), { BATCH_MAX_SIZE: '8', WORKER_CONCURRENCY: '8' });
    await h.start([...DEFS, ...DEFS]); // two replicas of each
    await h.deliver(history.resend);
    await h.drained();
    const delivered = [...history.v1, ...history.resend];
    await expectExact(db.url, delivered, 'act 2 (the same logs re-sent with their hashes)');
    const doubled = await one(pg, `SELECT count(*)::text AS n FROM (SELECT 1 FROM "Trade" GROUP BY "chainId", "txHash", "logIndex" HAVING count(*) > 1) d`);
    const unadopted = await one(pg, `SELECT ((SELECT count(*) FROM "TradeEvent" WHERE "blockHash" LIKE 'v1:%' AND NOT removed)
                                           + (SELECT count(*) FROM "FollowerEvent" WHERE "blockHash" LIKE 'v1:%' AND NOT removed)
                                           + (SELECT count(*) FROM "VaultDeployEvent" WHERE "blockHash" LIKE 'v1:%' AND NOT removed))::text AS n`);
    const trades = await one(pg, `SELECT count(*)::text AS n FROM "Trade"`);
    if (doubled || unadopted) throw new Error(`after the re-send: ${doubled} transactions with two Trade rows, ${unadopted} live version-1 rows not adopted`);
    log(`act 2: ${trades} trades (${v1Trades} under version 1), none doubled, every live version-1 row adopted`);

    await h.deliver(history.reorg);
    await h.drained();
    await expectExact(db.url, [...delivered, ...history.reorg], 'act 3 (a re-organisation after the upgrade)');
    const failed = (await Promise.all((['vault', 'trade', 'follower', 'snapshot'] as const).map((k) => h!.failedReasons(k)))).flat();
    if (failed.length) throw new Error(`failed jobs: ${failed.slice(0, 3).join('; ')}`);
    log('PASS');
  } finally {
    await h?.close();
    await pg.end();
    await db.drop();
    tree.remove();
  }
}

main().catch((e) => {
  process.stderr.write(`[upgrade] FAIL: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
