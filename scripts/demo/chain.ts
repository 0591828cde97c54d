// pnpm demo:chain: the whole path from a real chain to the leaderboard.
//   1. a local anvil with the reference contracts (packages/devchain/contracts), compiled by solc-js;
//   2. a generated trading session (DEMO_CHAIN_VAULTS vaults, DEMO_CHAIN_BLOCKS blocks of
//      deposits, withdrawals and trades), half mined before the indexer starts (a backfill), half
//      while it follows the head, then a re-organisation of depth 2 that re-includes the dropped
//      blocks' signed transactions, as real chains do: a trade at the same position in the
//      sibling block (same txHash and logIndex, another block hash), a deposit in a later block;
//   3. the indexer and the four workers as processes (database vaults_demo_chain, reset on each run);
//   4. the leaderboard from the database, and the database checked against the reference model
//      of the final canonical chain's logs.
import { randomBytes } from 'node:crypto';
import { waitUntil } from '@vaults/testkit';
import { Anvil, DevChain, Stack, deployVaults, newSession, storedCursor, tradeBlocks, txHashOf } from '@vaults/devchain';
import { migrate } from '../migrate';
import { spreadChainTime } from './chain-time';
import { formatLeaderboard, readLeaderboard, verify } from './report';
import { showSeriesChart } from './series-chart';
import { checkPostgres, checkRedis, dropDemoDatabase } from './system';

const say = (line = '') => process.stdout.write(`${line}\n`);
const E18 = 10n ** 18n;

async function main(): Promise<number> {
  const began = Date.now();
  const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/vaults_demo_chain';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const vaultCount = Number(process.env.DEMO_CHAIN_VAULTS ?? 6);
  const blocks = Number(process.env.DEMO_CHAIN_BLOCKS ?? 120);
  await checkRedis(redisUrl);
  await checkPostgres(databaseUrl);
  await dropDemoDatabase(databaseUrl);
  await migrate({ databaseUrl, createDatabase: true });

  const anvil = await Anvil.start();
  const stack = new Stack({
    databaseUrl,
    redisUrl,
    prefix: `demo-chain-${randomBytes(3).toString('hex')}`,
    logLevel: process.env.DEMO_LOG_LEVEL ?? 'warn',
    print: (line) => say(line),
  });
  try {
    say(`[demo:chain] anvil on ${anvil.url}; compiling and deploying the reference contracts (solc-js)`);
    const chain = await new DevChain(anvil.url).init();
    await spreadChainTime(chain.url);
    await chain.deployFactory();
    const session = newSession(await deployVaults(chain, vaultCount), 42);
    await tradeBlocks(chain, session, Math.floor(blocks / 2), 5);
    say(`[demo:chain] factory ${chain.factory} at block ${chain.factoryBlock}; ${vaultCount} vaults; ${await chain.head()} blocks mined before the indexer starts`);

    await stack.startWorkers();
    const indexer = await stack.startIndexer(chain, { REORG_WINDOW: '32', POLL_INTERVAL_MS: '100' });
    say(`[demo:chain] four workers and the indexer ready (indexer sidecar: curl localhost:${indexer.port}/metrics)`);
    await tradeBlocks(chain, session, Math.ceil(blocks / 2), 5);

    // Two blocks of transactions signed here (raw bytes kept), seen by the indexer; then a
    // re-organisation of depth 2 that re-includes them: the trade at its position in the sibling
    // block, the deposit in a later block.
    const v = session.vaults[0]!;
    const trade = await chain.signed(v.leader, chain.calls.trade(v.address, 12n * E18));
    const deposit = await chain.signed(chain.accounts[12]!, chain.calls.deposit(v.address, 75n * E18));
    await chain.sendRaw(deposit);
    await chain.mine(1);
    await chain.sendRaw(trade);
    await chain.mine(1);
    const head = await chain.head();
    const blockHash = async (n: number) => (await chain.client.getBlock({ blockNumber: BigInt(n) })).hash.toLowerCase();
    const [depositBlock, tradeBlock] = [await blockHash(head - 1), await blockHash(head)];
    await waitUntil(async () => (await storedCursor(databaseUrl))?.hash === tradeBlock, 120_000, 'the indexer to reach the head');
    const short = (h: string) => `${h.slice(0, 10)}…`;
    await chain.reorg(2, [[trade, 1]]);
    await waitUntil(async () => (await storedCursor(databaseUrl))?.hash === (await blockHash(head)), 120_000, 'the indexer to index the new branch');
    await chain.sendRaw(deposit);
    await chain.mine(1);
    const after = (await chain.canonicalEvents()).filter((e) => e.blockNumber > head - 2);
    const at = (tx: string) => after.find((e) => e.txHash === tx.toLowerCase());
    const tradeEv = at(txHashOf(trade))!;
    const depositEv = at(txHashOf(deposit))!;
    say(`[demo:chain] re-organisation of depth 2 at blocks ${head - 1}..${head}, the same signed transactions re-included:`);
    say(`  trade   ${short(tradeEv.txHash)} log ${tradeEv.logIndex}: block ${head} ${short(tradeBlock)} -> block ${tradeEv.blockNumber} ${short(tradeEv.blockHash)} (same position, sibling block)`);
    say(`  deposit ${short(depositEv.txHash)} log ${depositEv.logIndex}: block ${head - 1} ${short(depositBlock)} -> block ${depositEv.blockNumber} ${short(depositEv.blockHash)} (a later block)`);

    const newHead = await chain.head();
    const newHash = (await chain.client.getBlock({ blockNumber: BigInt(newHead) })).hash.toLowerCase();
    await waitUntil(async () => (await storedCursor(databaseUrl))?.hash === newHash, 120_000, 'the indexer to index the new branch');
    await stack.queues.drained(300_000);

    const metrics = await (await fetch(`http://127.0.0.1:${indexer.port}/metrics`)).text();
    say(`[demo:chain] the indexer's /metrics:`);
    for (const line of metrics.split('\n').filter((l) => /^vaults_indexer_(logs_enqueued_total|reorgs_total|cursor_block|head_block|vaults) ?/.test(l))) {
      say(`  ${line.replace(/\{service="indexer"\}|,service="indexer"/, '')}`);
    }
    say();
    say('Leaderboard (from the database, by ROI; time-weighted, share-price based):');
    say();
    say(formatLeaderboard(await readLeaderboard(databaseUrl)));
    say();
    await showSeriesChart(databaseUrl, 'demo-chain', say);
    const canonical = await chain.canonicalEvents();
    const diffs = await verify(databaseUrl, canonical);
    if (diffs.length === 0) say(`✔ database = reference model of the final chain's ${canonical.length} logs (the re-included trade and deposit live once, in their new blocks)`);
    else for (const d of diffs.slice(0, 20)) say(`✘ ${d}`);
    say(`[demo:chain] done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return diffs.length === 0 ? 0 : 1;
  } finally {
    const clean = await stack.stop();
    say(clean ? '[demo:chain] indexer and workers stopped cleanly (exit 0)' : '[demo:chain] a process did not exit cleanly');
    await anvil.stop('SIGKILL');
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    say(`[demo:chain] failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
