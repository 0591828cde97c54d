import { randomBytes } from 'node:crypto';
import {
  Harness,
  TEST_REDIS_URL,
  createTestDatabase,
  diffSeries,
  diffStates,
  expectedSeries,
  expectedState,
  readSeries,
  readState,
  waitUntil,
  type AnyEvent,
  type TestDatabase,
} from '@vaults/testkit';
import { ALL_WORKERS, Anvil, type AnvilOptions, DevChain, storedCursor } from '@vaults/devchain';
import { startIndexer, type RunningIndexer } from '../../src/service';

// One chain test's world: a fresh anvil with the factory deployed, a migrated database of its
// own, a queue prefix of its own, the four workers in this process, and indexers to start (in
// process or, for kill -9, as child processes: see child.ts).

/**
 * The series' bucket in chain tests: a few seconds, so that a test's blocks (mined a second or so
 * apart) fill several buckets and a re-organisation's new branch moves events between them.
 */
const SERIES_BUCKET_SECONDS = 2;

export class Rig {
  readonly indexers: RunningIndexer[] = [];
  /** Events the indexer sent and a re-organisation then dropped (their removals are due). */
  readonly dropped: AnyEvent[] = [];

  private constructor(
    readonly anvil: Anvil,
    readonly chain: DevChain,
    readonly db: TestDatabase,
    readonly prefix: string,
    readonly harness: Harness,
  ) {}

  static async create(anvilOpts: AnvilOptions = {}): Promise<Rig> {
    const anvil = await Anvil.start(anvilOpts);
    const chain = await new DevChain(anvil.url).init();
    await chain.deployFactory();
    const db = await createTestDatabase('vaults_chain');
    const prefix = `chain-${randomBytes(4).toString('hex')}`;
    const harness = new Harness(db.url, '', { QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: '20', SERIES_BUCKET_SECONDS: String(SERIES_BUCKET_SECONDS) });
    await harness.start([...ALL_WORKERS]);
    return new Rig(anvil, chain, db, prefix, harness);
  }

  /** The environment of an indexer for this rig (in process or child). */
  indexerEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: this.prefix,
      LOG_LEVEL: process.env.INDEXER_TEST_LOG_LEVEL ?? 'silent',
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      RPC_URL: this.anvil.url,
      FACTORY_ADDRESS: this.chain.factory,
      START_BLOCK: String(this.chain.factoryBlock),
      POLL_INTERVAL_MS: '50',
      LOCK_RETRY_MS: '100',
      RPC_RETRY_BASE_MS: '50',
      REORG_WINDOW: '32',
      SHUTDOWN_TIMEOUT_MS: '10000',
      ...extra,
    };
  }

  async startIndexer(extra: Record<string, string> = {}): Promise<RunningIndexer> {
    const ix = await startIndexer({ env: this.indexerEnv(extra) });
    this.indexers.push(ix);
    return ix;
  }

  async cursor(): Promise<number | null> {
    return (await storedCursor(this.db.url))?.block ?? null;
  }

  /**
   * Waits until the stored cursor is the chain's head (minus confirmations), by number and hash:
   * after a re-organisation the height is the same but the block is not.
   */
  async indexedToHead(confirmations = 0, timeoutMs = 120_000): Promise<number> {
    const target = (await this.chain.head()) - confirmations;
    const hash = (await this.chain.client.getBlock({ blockNumber: BigInt(target) })).hash.toLowerCase();
    await waitUntil(
      async () => {
        const row = await storedCursor(this.db.url);
        return !!row && (row.block > target || (row.block === target && row.hash?.toLowerCase() === hash));
      },
      timeoutMs,
      `the indexer to reach block ${target} (${hash})`,
    );
    return target;
  }

  /** Logs of blocks (from, head] as the chain has them now: what a re-organisation will drop. */
  async eventsAfter(block: number): Promise<AnyEvent[]> {
    return (await this.chain.canonicalEvents()).filter((e) => e.blockNumber > block);
  }

  /** Indexed to the head, queues drained, database = reference model of chain + removals. */
  async expectConverged(confirmations = 0): Promise<{ events: number; removed: number }> {
    await this.indexedToHead(confirmations);
    await this.harness.drained(120_000);
    const canonical = await this.chain.canonicalEvents();
    const removals = this.dropped.map((e) => ({ ...e, removed: true }));
    await this.expectModelOf([...canonical, ...removals]);
    // And no job failed: every payload the indexer sent was valid and agreed with its copies.
    for (const k of ['vault', 'trade', 'follower'] as const) expect(await this.harness.failedReasons(k)).toEqual([]);
    return { events: canonical.length, removed: removals.length };
  }

  /**
   * Indexed to the head, queues drained, database = reference model of the final canonical
   * chain's logs alone (read back from the node), no failed job. What a re-organisation dropped
   * for good must leave nothing live; what it re-included must be live once, in its new block.
   */
  async expectCanonical(): Promise<number> {
    await this.indexedToHead();
    await this.harness.drained(120_000);
    const canonical = await this.chain.canonicalEvents();
    await this.expectModelOf(canonical);
    for (const k of ['vault', 'trade', 'follower'] as const) expect(await this.harness.failedReasons(k)).toEqual([]);
    return canonical.length;
  }

  /** The database = the reference model of these events: the state, and the vault series bucket by bucket (ratios within 1e-9). */
  private async expectModelOf(events: AnyEvent[]): Promise<void> {
    expect(diffStates(expectedState(events), await readState(this.db.url))).toEqual([]);
    expect(diffSeries(expectedSeries(events, SERIES_BUCKET_SECONDS), await readSeries(this.db.url))).toEqual([]);
  }

  async close(): Promise<void> {
    for (const ix of this.indexers.splice(0)) await ix.close();
    await this.harness.close();
    await this.anvil.stop('SIGKILL');
    await this.db.drop();
  }
}
