import { Client } from 'pg';
import { waitUntil } from '@vaults/testkit';
import { freePort, deployVaults, newSession, tradeBlocks, type SessionState } from '@vaults/devchain';
import { IndexerProcess } from './support/child';
import { Rig } from './support/rig';
import { RpcProxy } from './support/rpc-proxy';

// What the indexer must not trust or leak: a node on
// another chain than the stream's (with and without CHAIN_ID), a provider's key in the RPC URL
// through a 429, and a list of nodes whose first is down.

const KEY = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const KEY2 = 'Zx81Qw72Er63Ty54';
let rig: Rig;
let s: SessionState;
const children: IndexerProcess[] = [];

beforeAll(async () => {
  rig = await Rig.create();
  s = newSession(await deployVaults(rig.chain, 2), 5);
  await tradeBlocks(rig.chain, s, 6, 3);
});
afterAll(async () => {
  for (const c of children) await c.kill9();
  await rig.close();
});

const readyz = async (port: number) => {
  const r = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: r.status, text: await r.text() };
};

/** Waits until /readyz is 503 for its indexing check (not a connection still coming up); returns it. */
async function indexingProblem(port: number): Promise<string> {
  let problem = '';
  await waitUntil(
    async () => {
      const r = await readyz(port).catch(() => ({ status: 0, text: '{}' }));
      const checks = (JSON.parse(r.text) as { checks?: Record<string, string> }).checks;
      problem = r.status === 503 && checks?.indexing && checks.indexing !== 'ok' ? checks.indexing : '';
      return problem !== '';
    },
    60_000,
    'readiness to report an indexing problem',
  );
  return problem;
}

async function streams(): Promise<{ streamId: string; block: number }[]> {
  const c = new Client({ connectionString: rig.db.url });
  await c.connect();
  try {
    const r = await c.query<{ streamId: string; n: string }>(`SELECT "streamId", "blockNumber"::text AS n FROM "IndexerCursor" ORDER BY "streamId"`);
    return r.rows.map((x) => ({ streamId: x.streamId, block: Number(x.n) }));
  } finally {
    await c.end();
  }
}

it('first node of RPC_URL down: the indexer fails over to the next and converges', async () => {
  const down = `http://127.0.0.1:${await freePort()}`; // nothing listens there
  const ix = await rig.startIndexer({ RPC_URL: `${down},${rig.anvil.url}` });
  await rig.expectConverged();
  await ix.close();
  rig.indexers.splice(0);
});

describe('a node on another chain than the stream was created on', () => {
  beforeAll(async () => {
    // The stream, created on anvil's chain (31337).
    const ix = await rig.startIndexer();
    await rig.indexedToHead();
    await ix.close();
    rig.indexers.splice(0);
  });

  it.each([
    ['without CHAIN_ID', {}],
    ['with CHAIN_ID set to the node chain', { CHAIN_ID: '4242' }],
  ])('%s: indexing stops with an error naming both chain ids; no new stream', async (_name, extra: Record<string, string>) => {
    const before = await streams();
    expect(before).toEqual([{ streamId: `31337:${rig.chain.factory}`, block: expect.any(Number) }]);
    const proxy = await RpcProxy.start(rig.anvil.url);
    proxy.results.set('eth_chainId', '0x1092'); // 4242
    try {
      const ix = await rig.startIndexer({ RPC_URL: proxy.url(), ...extra });
      const body = await indexingProblem(ix.port);
      expect(body).toMatch(/chain 4242/);
      expect(body).toMatch(/created on chain 31337/);
      expect(ix.status().cursor).toBeNull(); // not indexing
      expect(await streams()).toEqual(before); // nothing created on the other chain, the cursor untouched
      await ix.close();
      rig.indexers.splice(0);
    } finally {
      await proxy.close();
    }
  });

  it('CHAIN_ID set to the stream chain, node on another: the error names both', async () => {
    const proxy = await RpcProxy.start(rig.anvil.url);
    proxy.results.set('eth_chainId', '0x1092');
    try {
      const ix = await rig.startIndexer({ RPC_URL: proxy.url(), CHAIN_ID: '31337' });
      expect(await indexingProblem(ix.port)).toMatch(/CHAIN_ID is 31337 but the node is on chain 4242/);
      await ix.close();
      rig.indexers.splice(0);
    } finally {
      await proxy.close();
    }
  });
});

it('a provider key in the RPC URL path and query, through a 429: not in /readyz, the warn log or the lock log', async () => {
  await tradeBlocks(rig.chain, s, 2, 2);
  const proxy = await RpcProxy.start(rig.anvil.url);
  try {
    const url = proxy.url(`/v3/${KEY}?apikey=${KEY2}`);
    const child = await IndexerProcess.start(rig.indexerEnv({ RPC_URL: url, LOG_LEVEL: 'info', RPC_MAX_ATTEMPTS: '2' }));
    children.push(child);
    await rig.indexedToHead();
    proxy.httpStatus = 429;
    await indexingProblem(child.port);
    await waitUntil(() => child.output.includes('tick failed; retrying'), 30_000, 'the tick failure warning');
    const ready = await readyz(child.port);
    const metrics = await (await fetch(`http://127.0.0.1:${child.port}/metrics`)).text();
    await child.stop();
    for (const text of [ready.text, child.output]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(KEY2);
    }
    expect(ready.text).toMatch(/429|Too Many Requests|HTTP request failed/);
    const lockLine = child.output.split('\n').find((l) => l.includes('writer lock taken'));
    expect(lockLine).toContain('/v3/***?apikey=***');
    // A 429 is a rate limit: backed off, counted as such, never taken for a range too large.
    expect(metrics).toMatch(/vaults_indexer_rpc_errors_total\{method="eth_\w+",kind="rate_limit"[^}]*\} [1-9]/);
    expect(metrics).not.toMatch(/kind="limit"[^}]*\} [1-9]/);
  } finally {
    await proxy.close();
  }
});
