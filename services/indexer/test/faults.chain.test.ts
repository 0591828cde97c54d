import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '@vaults/testkit';
import { deployVaults, newSession, tradeBlocks, type SessionState } from '@vaults/devchain';
import { LimitProxy } from './support/limit-proxy';
import { Rig } from './support/rig';

// RPC faults: the node stopped and restarted under a following indexer; a node that refuses
// eth_getLogs over more than a few blocks; a node that lags behind the block the indexer read.
// The indexer retries, shrinks its range, waits, and converges.

const dir = mkdtempSync(join(tmpdir(), 'indexer-anvil-'));
let rig: Rig;
let s: SessionState;

beforeAll(async () => {
  rig = await Rig.create({ stateFile: join(dir, 'state.json') });
  s = newSession(await deployVaults(rig.chain, 2), 3);
  await tradeBlocks(rig.chain, s, 30, 6);
});
afterAll(async () => {
  await rig.close();
  rmSync(dir, { recursive: true, force: true });
});

const metricsText = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

it('a range that errors as too large: the indexer shrinks its range and converges', async () => {
  const proxy = await LimitProxy.start(rig.anvil.url, 3);
  try {
    const ix = await rig.startIndexer({ RPC_URL: proxy.url, INITIAL_BLOCK_RANGE: '500' });
    await rig.expectConverged();
    expect(proxy.limitErrors).toBeGreaterThan(0);
    const text = await metricsText(ix.port);
    expect(text).toMatch(/vaults_indexer_rpc_errors_total\{method="eth_getLogs",kind="limit"[^}]*\} [1-9]/);
    const range = Number(/^vaults_indexer_block_range\{[^}]*\} (\d+)/m.exec(text)![1]);
    expect(range).toBeLessThanOrEqual(3); // settled at or below the node's limit
    await ix.close();
    rig.indexers.splice(0);
  } finally {
    await proxy.close();
  }
});

it('a lagging node (head below the cursor): the indexer waits and retracts nothing', async () => {
  const proxy = await LimitProxy.start(rig.anvil.url, 10_000);
  try {
    const ix = await rig.startIndexer({ RPC_URL: proxy.url });
    const head = await rig.indexedToHead();
    proxy.lagHead = head - 3; // a replica three blocks behind the one the indexer read
    await waitUntil(() => proxy.laggingPolls >= 5, 30_000, 'the indexer to poll the lagging node');
    expect(await rig.cursor()).toBe(head);
    proxy.lagHead = null;
    await tradeBlocks(rig.chain, s, 3, 3);
    await rig.expectConverged(); // no removals were due, and none were sent
    expect(await metricsText(ix.port)).toMatch(/^vaults_indexer_reorgs_total\{[^}]*\} 0$/m);
    await ix.close();
    rig.indexers.splice(0);
  } finally {
    await proxy.close();
  }
});

it('the node stopped and restarted: the indexer retries, reports it, and catches up', async () => {
  const ix = await rig.startIndexer();
  await rig.indexedToHead();
  await rig.anvil.stop('SIGTERM'); // dumps its state; the restart loads it (same blocks, same hashes)
  // Readiness names the chain once a tick has failed (its calls retried and exhausted).
  const readyz = async () => {
    const r = await fetch(`http://127.0.0.1:${ix.port}/readyz`);
    return { status: r.status, body: (await r.json()) as { checks: Record<string, string> } };
  };
  await waitUntil(async () => (await readyz()).body.checks.indexing !== 'ok', 60_000, 'readiness to report the node down');
  expect((await readyz()).status).toBe(503);
  const text = await metricsText(ix.port);
  // Which call the stop hits depends on where the tick was (eth_blockNumber, or a block or log
  // read of a tick already under way): any method, but counted as transient and retried.
  expect(text).toMatch(/vaults_indexer_rpc_errors_total\{method="eth_\w+",kind="transient"[^}]*\} [1-9]/);
  expect(text).toMatch(/vaults_indexer_rpc_retries_total\{method="eth_\w+"[^}]*\} [1-9]/);

  await rig.anvil.start();
  await tradeBlocks(rig.chain, s, 10, 4);
  await rig.expectConverged();
  await waitUntil(async () => (await readyz()).body.checks.indexing === 'ok', 60_000, 'the indexing check back to ok');
});
