import { Producer, createRedis } from '@vaults/shared';
import { Anvil, DevChain, deployVaults, newSession, tradeBlocks } from '@vaults/devchain';
import { freePort } from '../../faults/lib/util';
import { FlakyRpc } from './flaky-rpc';
import { onInterrupt } from './cleanup';
import { removeContainers, runToEnd, startContainer, waitReady, type Container } from './containers';
import { MIGRATE_IMAGE, serviceImage } from './images';
import { dbUrl, dropDatabase } from './postgres';
import { waitFor } from './sh';
import { QUEUES, REDIS_URL, type System } from './system';

// The indexer from its image against a real chain: an anvil on this machine with the reference
// contracts deployed (solc-js), a short seeded trading session and one invalid vault mined, then
// the indexer container (hardened like the workers, host network) following it through a briefly
// failing RPC endpoint. It writes to a database and a queue prefix of its own: the replay checks compare the system's whole database with the
// events they sent, so the chain's events must not reach it.

export interface IndexerRun extends Container {
  service: 'indexer';
  port: number;
  head: number;
  /** 503s the indexer had met (and retried) when it became ready. */
  rpcFailures: number;
  close(): Promise<void>;
}

const VAULTS = 3;
const BLOCKS = 20;
/** Fewer than the indexer's RPC_MAX_ATTEMPTS (5): retried, not fatal. */
const RPC_FAILURES = 2;

export async function startIndexer(sys: System): Promise<IndexerRun> {
  const anvil = await Anvil.start();
  const rpc = await FlakyRpc.start(anvil.url, RPC_FAILURES);
  const databaseUrl = dbUrl(`vaults_ci_indexer_${sys.tag}`);
  const prefix = `${sys.prefix}-indexer`;
  const name = `vaults-ci-indexer-${sys.tag}`;
  const cleanup = async () => {
    await removeContainers([name]);
    await rpc.close();
    await anvil.stop('SIGKILL');
    await dropDatabase(databaseUrl).catch(() => undefined);
  };
  const unregister = onInterrupt(cleanup);
  try {
    const chain = await new DevChain(anvil.url).init();
    await chain.deployFactory();
    await tradeBlocks(chain, newSession(await deployVaults(chain, VAULTS), 42), BLOCKS, 3);
    // Anyone may call the factory: a vault with an empty name, which the job contract refuses, is
    // a log the indexer must skip (and count) rather than enqueue.
    await chain.deployVault(chain.accounts[1]!, '');
    await chain.mine(1);
    const head = await chain.head();

    const migrated = await runToEnd(`vaults-ci-migrate-indexer-${sys.tag}`, MIGRATE_IMAGE, { MIGRATION_DATABASE_URL: databaseUrl, MIGRATE_CREATE_DATABASE: 'true' });
    await removeContainers([`vaults-ci-migrate-indexer-${sys.tag}`]);
    if (migrated.code !== 0) throw new Error(`the migrate image failed: ${migrated.stderr}${migrated.stdout}`);

    const port = await freePort(19300);
    const c = { name, image: serviceImage('indexer'), port, service: 'indexer' as const };
    await startContainer(c, {
      RPC_URL: rpc.url,
      FACTORY_ADDRESS: chain.factory,
      START_BLOCK: String(chain.factoryBlock),
      POLL_INTERVAL_MS: '200',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      METRICS_PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    await waitReady(c);
    return {
      ...c,
      head,
      rpcFailures: rpc.failed,
      async close() {
        unregister();
        await cleanup();
        // What it enqueued, on a prefix no worker consumes.
        const connection = createRedis(REDIS_URL, 'fail-fast');
        connection.on('error', () => undefined);
        const producer = new Producer({ connection, prefix });
        for (const q of QUEUES) await producer.queue(q).obliterate({ force: true }).catch(() => undefined);
        await producer.close().catch(() => undefined);
        connection.disconnect();
      },
    };
  } catch (err) {
    unregister();
    await cleanup();
    throw err;
  }
}

/** The indexer's exported cursor, once it has reached the chain's head. */
export async function waitIndexed(ix: IndexerRun, timeoutMs = 60_000): Promise<number> {
  let cursor = -1;
  await waitFor(async () => {
    const text = await (await fetch(`http://127.0.0.1:${ix.port}/metrics`)).text();
    const m = /^vaults_indexer_cursor_block(?:\{[^}]*\})? (\d+)/m.exec(text);
    cursor = m ? Number(m[1]) : -1;
    return cursor >= ix.head;
  }, timeoutMs, `the indexer's cursor at head ${ix.head} (last ${cursor})`, 250);
  return cursor;
}
