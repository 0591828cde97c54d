import type { Logger, Producer } from '@vaults/shared';
import type { ChainConfig } from './config';
import { decodeLogs, sentLogsOf, type DecodedEvent } from './decode';
import { enqueueJobs, enqueueRemovals } from './enqueue';
import type { EventMapping } from './events';
import type { IndexerMetrics } from './metrics';
import { AdaptiveRange } from './range';
import { ChainMovedError, IncompleteLogsError, readRange, type RangeRead } from './read-range';
import { startReadAhead, takeReadAhead, type ReadAhead } from './read-ahead';
import { findCommonAncestor, type Ancestor } from './reorg';
import { RangeTooLargeError, type ChainReader } from './rpc';
import { Stall, type StallReason } from './stall';
import type { StoredBlock, StreamState, StreamStore } from './store';

// One stream (chain + factory), one writer. A tick: read the head, check the stored recent
// blocks (or, once final, the cursor's block) against the chain (rewinding on a
// re-organisation), then read one block range completely (read-range.ts), record what will be
// sent under the writer's epoch, enqueue every event, and only then move the cursor, in the same
// fenced transaction that keeps the new recent blocks. A tick that cannot make progress backs
// off and, when that lasts, says why (stall.ts: metric, readiness).
// The next range may be read ahead while this one is sent and committed (READ_AHEAD, read-ahead.ts).

export interface IndexerDeps {
  cfg: ChainConfig;
  chainId: number;
  chain: ChainReader;
  store: StreamStore;
  producer: Producer;
  mapping: EventMapping;
  metrics: IndexerMetrics;
  log: Logger;
}

export interface DeepReorg {
  cursor: number;
  oldestKnown: number;
}

export class Indexer {
  private state!: StreamState;
  private vaults = new Set<string>();
  private readonly range: AdaptiveRange;
  private reconciled = false;
  /** The next range, read ahead by the last tick; taken (or dropped) by the next one. */
  private ahead: ReadAhead | null = null;
  /** Set while a re-organisation deeper than the window halts indexing. */
  deepReorg: DeepReorg | null = null;
  /** Ticks in a row without progress, and why (back-off, metric, readiness). */
  readonly stall: Stall;

  constructor(private readonly deps: IndexerDeps) {
    this.range = new AdaptiveRange(deps.cfg.initialBlockRange, deps.cfg.maxBlockRange);
    this.stall = new Stall(deps.metrics);
  }

  /** null until init() has loaded the stored state. */
  get cursor(): number | null {
    return (this.state as StreamState | undefined)?.cursor ?? null;
  }

  async init(): Promise<void> {
    this.state = await this.deps.store.load(this.deps.chainId, this.deps.cfg.startBlock);
    this.vaults = new Set(this.state.vaults);
    this.deps.metrics.cursorBlock.set(this.state.cursor);
    this.deps.metrics.vaults.set(this.vaults.size);
    this.deps.log.info({ cursor: this.state.cursor, vaults: this.vaults.size, recentBlocks: this.state.blocks.length }, 'resuming from the stored cursor');
    if (!this.reconciled) {
      await this.reconcile();
      this.reconciled = true;
    }
  }

  /**
   * Sends recorded above the cursor were recorded by a writer that did not commit them (a crash,
   * or a writer fenced after recording): they may be on the queues. Before indexing, retract
   * those whose block is no longer on the chain, then forget them all (the range is read again).
   */
  private async reconcile(): Promise<void> {
    const { store, chain, log } = this.deps;
    const pending = await store.sentLogsAfter(this.state.cursor);
    if (!pending.length) return;
    const head = await chain.blockNumber();
    const numbers = [...new Set(pending.map((l) => l.blockNumber))];
    const top = Math.max(...numbers);
    if (head < top) throw new Error(`the node's head ${head} is below block ${top} of the unconfirmed sends; waiting for it`);
    const onChain = new Map<number, string | undefined>();
    for (const n of numbers) onChain.set(n, (await chain.block(n))?.hash?.toLowerCase());
    const dropped = pending.filter((l) => onChain.get(l.blockNumber) !== l.blockHash.toLowerCase());
    await store.assertWriter();
    await enqueueRemovals(this.deps.producer, dropped, this.deps.cfg.enqueueChunkSize, this.deps.metrics);
    await store.rewind(this.state.cursor, this.state.cursorHash);
    log.warn(
      { cursor: this.state.cursor, recorded: pending.length, removals: dropped.length },
      'sends recorded above the cursor by a writer that did not commit them: removals sent for those of dropped blocks',
    );
  }

  /** One step. True when there is more to do at once (behind the head, or just rewound). */
  async tick(): Promise<boolean> {
    const { cfg, metrics } = this.deps;
    // Taken by this tick or dropped: a read-ahead is only ever the next tick's.
    const ahead = this.ahead;
    this.ahead = null;
    const head = await this.deps.chain.blockNumber();
    metrics.headBlock.set(head);
    metrics.blocksBehind.set(Math.max(0, head - this.state.cursor));
    const check = await this.checkReorg(head);
    if (check === 'rewound') return this.progress(true);
    if (check === 'lagging') return this.stuck('lagging_node', `the node's head ${head} is below the cursor ${this.state.cursor}`);
    if (this.deepReorg) return this.stuck('deep_reorg', 're-organisation deeper than REORG_WINDOW: indexing halted');
    const target = head - cfg.confirmations;
    if (this.state.cursor >= target) return this.progress(false);
    // Taken only after the re-organisation check above, and only if it follows this cursor.
    const next = takeReadAhead(ahead, this.state.cursor, this.state.cursorHash, target);
    const [from, asked] = next ? [next.from, next.asked] : this.range.next(this.state.cursor + 1, target);
    const stop = metrics.rangeDuration.startTimer();
    let to: number;
    try {
      to = await this.indexRange(from, asked, head, target, next?.read);
    } catch (err) {
      if (err instanceof RangeTooLargeError) {
        if (!this.range.shrink()) throw err;
        this.deps.log.info({ from, to: asked, next: this.range.current, err }, 'block range too large for the node; shrinking');
        return true;
      }
      if (err instanceof ChainMovedError) return this.stuck('chain_moved', `chain moved while reading blocks ${from}-${asked}: ${err.message}`);
      if (err instanceof IncompleteLogsError) return this.stuck('incomplete_logs', err.message);
      throw err;
    } finally {
      metrics.blockRange.set(this.range.current);
      stop();
    }
    metrics.blocksBehind.set(Math.max(0, head - to));
    return this.progress(to < target);
  }

  private progress(more: boolean): boolean {
    this.stall.clear();
    return more;
  }

  /** No progress this tick: the first time, try again at once (the chain moved under a read). */
  private stuck(reason: StallReason, message: string): boolean {
    const n = this.stall.record(reason, message);
    if (n === 1 || n % 20 === 0) this.deps.log.info({ reason, ticks: n, err: message }, 'no progress this tick; backing off');
    return n === 1 && reason === 'chain_moved';
  }

  /**
   * Compares the stored recent blocks with the chain; rewinds past a re-organisation. A node whose
   * head is below the cursor is first checked at its own head: if our block is there, the node is
   * only behind (a lagging replica behind a load balancer), which is no reason to retract anything.
   * A cursor that is already final (its block no longer among the recent ones) is checked by its
   * own hash: not on the chain any more is a re-organisation deeper than the window.
   */
  private async checkReorg(head: number): Promise<'ok' | 'rewound' | 'lagging'> {
    const top = this.state.blocks.at(-1);
    if (!top || top.number !== this.state.cursor) {
      if (!this.state.cursorHash) return 'ok'; // before the start: nothing that can change
      if (head < this.state.cursor) return 'lagging';
      const onChain = await this.deps.chain.block(this.state.cursor);
      if (!onChain) throw new Error(`the node reports head ${head} but has no block ${this.state.cursor}; retrying`);
      if (onChain.hash?.toLowerCase() === this.state.cursorHash.toLowerCase()) this.clearDeepReorg();
      else this.raiseDeepReorg(this.state.cursor);
      return 'ok';
    }
    const probe = head < top.number ? this.state.blocks.filter((b) => b.number <= head).at(-1) : top;
    if (probe) {
      const onChain = await this.deps.chain.block(probe.number);
      if (!onChain) throw new Error(`the node reports head ${head} but has no block ${probe.number}; retrying`);
      if (onChain.hash === probe.hash) {
        this.clearDeepReorg();
        return probe === top ? 'ok' : 'lagging';
      }
    }
    const ancestor = await findCommonAncestor(this.state.blocks, (n) => this.deps.chain.block(n));
    if (!ancestor) {
      this.raiseDeepReorg(this.state.blocks[0]!.number);
      return 'ok';
    }
    await this.rewind(ancestor);
    return 'rewound';
  }

  private async rewind(ancestor: Ancestor): Promise<void> {
    const { store, metrics, log } = this.deps;
    const depth = this.state.cursor - ancestor.number;
    const dropped = await store.sentLogsAfter(ancestor.number);
    // Removals first, cursor after: a crash in between finds the same mismatch and sends them again.
    await store.assertWriter();
    await enqueueRemovals(this.deps.producer, dropped, this.deps.cfg.enqueueChunkSize, metrics);
    await store.rewind(ancestor.number, ancestor.hash);
    metrics.reorgs.inc();
    metrics.reorgDepth.observe(depth);
    log.warn(
      { depth, from: this.state.cursor, ancestor: ancestor.number, removals: dropped.length },
      're-organisation: removals sent for the dropped blocks, rewound to the common ancestor',
    );
    await this.init();
  }

  private raiseDeepReorg(oldestKnown: number): void {
    const deep = { cursor: this.state.cursor, oldestKnown };
    if (!this.deepReorg) {
      this.deps.log.error(
        { ...deep, window: this.deps.cfg.reorgWindow },
        're-organisation deeper than REORG_WINDOW: no stored block is on the chain any more; indexing halted (recovery: docs/INDEXER.md)',
      );
    }
    this.deepReorg = deep;
    this.deps.metrics.deepReorg.set(1);
  }

  private clearDeepReorg(): void {
    if (this.deepReorg) this.deps.log.warn('the stored blocks are on the chain again; indexing resumes');
    this.deepReorg = null;
    this.deps.metrics.deepReorg.set(0);
  }

  /**
   * Indexes [from, asked], or less (incomplete logs, or more than MAX_LOGS_PER_RANGE logs): read
   * (or take the read-ahead), start reading the next range, decode, send, commit. Returns where it
   * ended. A read-ahead was read at an older head: its headers reach at least as low as this
   * head's non-final blocks, so what is sent and committed is taken as of this head.
   */
  private async indexRange(from: number, asked: number, head: number, target: number, readAhead?: Promise<RangeRead>): Promise<number> {
    const t0 = Date.now();
    const read = await (readAhead ?? readRange(this.deps, { from, to: asked, head, cursorHash: this.state.cursorHash }, this.vaults));
    // Cut by MAX_LOGS_PER_RANGE: fetch no more blocks than that next time.
    if (read.cutByLogs) this.range.fit(read.to - from + 1);
    else this.range.succeeded(read.to - from + 1);
    if (this.deps.cfg.readAhead && read.to < target) {
      const [nextFrom, nextAsked] = this.range.next(read.to + 1, target);
      this.ahead = startReadAhead(this.deps, read, nextFrom, nextAsked, head, this.vaults);
    }
    const t1 = Date.now();
    const decoded = await decodeLogs(this.deps, read.logs, read.headers);
    await this.send(decoded, head);
    const t2 = Date.now();
    await this.commit(from, read, head);
    this.deps.log.debug(
      { from, to: read.to, asked, logs: read.logs.length, headers: read.headers.size, readMs: t1 - t0, enqueueMs: t2 - t1, commitMs: Date.now() - t2, readAhead: !!readAhead },
      'range indexed',
    );
    return read.to;
  }

  /**
   * Records what will be sent, under the writer's epoch, then enqueues it: a writer that lost the
   * lock stops at the record, and what a writer sends and then cannot commit is reconciled by
   * the next (init).
   */
  private async send(decoded: DecodedEvent[], head: number): Promise<void> {
    const sent = sentLogsOf(decoded, head - this.deps.cfg.sentLogRetention + 1);
    await this.deps.store.recordSends(sent);
    await enqueueJobs(this.deps.producer, decoded.map((e) => e.job), this.deps.cfg.enqueueChunkSize, this.deps.metrics);
  }

  /** Moves the cursor to the range's end with its recent blocks and new vaults, in one fenced transaction (its sent logs are recorded already). */
  private async commit(from: number, read: RangeRead, head: number): Promise<void> {
    const { cfg, metrics } = this.deps;
    const { to, headers, newVaults } = read;
    const finalBelow = head - cfg.reorgWindow + 1;
    const recent: StoredBlock[] = [...headers.values()]
      .filter((b) => Number(b.number) >= finalBelow)
      .map((b) => ({ number: Number(b.number), hash: b.hash!, parentHash: b.parentHash }))
      .sort((a, b) => a.number - b.number);
    const toHash = headers.get(to)!.hash!;
    const logsBelow = head - cfg.sentLogRetention + 1;
    await this.deps.store.commitRange({ toBlock: to, toHash, blocks: recent, vaults: newVaults, finalBelow, logsBelow });

    for (const v of newVaults) this.vaults.add(v.address);
    this.state.cursor = to;
    this.state.cursorHash = toHash;
    this.state.blocks = [...this.state.blocks.filter((b) => b.number >= finalBelow && b.number < from), ...recent];
    metrics.blocksIndexed.inc(to - from + 1);
    metrics.cursorBlock.set(to);
    metrics.vaults.set(this.vaults.size);
  }
}
