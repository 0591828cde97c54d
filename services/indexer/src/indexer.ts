import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Block, Hex, Log } from 'viem';
import type { Logger, Producer } from '@vaults/shared';
import type { ChainConfig } from './config';
import { YIELD_EVERY, enqueueAll, payloadProblem, type OutgoingEvent } from './enqueue';
import type { EventMapping, IndexedEvent } from './events';
import type { IndexerMetrics } from './metrics';
import { AdaptiveRange, boundByLogs } from './range';
import { findCommonAncestor, type Ancestor } from './reorg';
import { RangeTooLargeError, type ChainReader } from './rpc';
import type { SentLog, StoredBlock, StreamState, StreamStore } from './store';

// One stream (chain + factory), one writer. A tick: read the head, check the stored recent
// blocks against the chain (rewinding on a re-organisation), then index one block range:
// factory logs (new vaults), the vaults' logs by chunked address lists, the blocks' hashes and
// timestamps; enqueue every event; only then move the cursor, in the same transaction that keeps
// the new recent blocks and the logs sent from them.

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

/** The chain changed under a range being read: drop the range, the next tick sorts it out. */
class ChainMovedError extends Error {
  override readonly name = 'ChainMovedError';
}

export interface DeepReorg {
  cursor: number;
  oldestKnown: number;
}

export class Indexer {
  private state!: StreamState;
  private vaults = new Set<string>();
  private readonly range: AdaptiveRange;
  /** Set while a re-organisation deeper than the window halts indexing. */
  deepReorg: DeepReorg | null = null;

  constructor(private readonly d: IndexerDeps) {
    this.range = new AdaptiveRange(d.cfg.initialBlockRange, d.cfg.maxBlockRange);
  }

  get cursor(): number {
    return this.state.cursor;
  }

  async init(): Promise<void> {
    this.state = await this.d.store.load(this.d.chainId, this.d.cfg.startBlock);
    this.vaults = new Set(this.state.vaults);
    this.d.metrics.cursorBlock.set(this.state.cursor);
    this.d.metrics.vaults.set(this.vaults.size);
    this.d.log.info({ cursor: this.state.cursor, vaults: this.vaults.size, recentBlocks: this.state.blocks.length }, 'resuming from the stored cursor');
  }

  /** One step. True when there is more to do at once (behind the head, or just rewound). */
  async tick(): Promise<boolean> {
    const { cfg, metrics } = this.d;
    const head = await this.d.chain.blockNumber();
    metrics.headBlock.set(head);
    metrics.blocksBehind.set(Math.max(0, head - this.state.cursor));
    const check = await this.checkReorg(head);
    if (check === 'rewound') return true;
    if (check === 'lagging' || this.deepReorg) return false;
    const target = head - cfg.confirmations;
    if (this.state.cursor >= target) return false;
    const [from, upTo] = this.range.next(this.state.cursor + 1, target);
    let to = upTo;
    const stop = metrics.rangeDuration.startTimer();
    try {
      to = await this.indexRange(from, upTo, head);
      // Cut by MAX_LOGS_PER_RANGE: fetch no more blocks than that next time.
      if (to < upTo) this.range.fit(to - from + 1);
      else this.range.succeeded(to - from + 1);
    } catch (err) {
      if (err instanceof RangeTooLargeError) {
        if (!this.range.shrink()) throw err;
        this.d.log.info({ from, to, next: this.range.current, err }, 'block range too large for the node; shrinking');
        return true;
      }
      if (err instanceof ChainMovedError) {
        this.d.log.info({ from, to, err }, 'chain moved while reading a range; re-checking');
        return true;
      }
      throw err;
    } finally {
      metrics.blockRange.set(this.range.current);
      stop();
    }
    metrics.blocksBehind.set(Math.max(0, head - to));
    return to < target;
  }

  /**
   * Compares the stored recent blocks with the chain; rewinds past a re-organisation. A node whose
   * head is below the cursor is first checked at its own head: if our block is there, the node is
   * only behind (a lagging replica behind a load balancer), which is no reason to retract anything.
   */
  private async checkReorg(head: number): Promise<'ok' | 'rewound' | 'lagging'> {
    const top = this.state.blocks.at(-1);
    if (!top || top.number !== this.state.cursor) {
      this.clearDeepReorg();
      return 'ok'; // the cursor is final (or before the start): nothing that can change
    }
    const probe = head < top.number ? this.state.blocks.filter((b) => b.number <= head).at(-1) : top;
    if (probe) {
      const onChain = await this.d.chain.block(probe.number);
      if (!onChain) throw new Error(`the node reports head ${head} but has no block ${probe.number}; retrying`);
      if (onChain.hash === probe.hash) {
        this.clearDeepReorg();
        return probe === top ? 'ok' : 'lagging';
      }
    }
    const ancestor = await findCommonAncestor(this.state.blocks, (n) => this.d.chain.block(n));
    if (!ancestor) {
      this.raiseDeepReorg();
      return 'ok';
    }
    await this.rewind(ancestor);
    return 'rewound';
  }

  private async rewind(ancestor: Ancestor): Promise<void> {
    const { store, metrics, log } = this.d;
    const depth = this.state.cursor - ancestor.number;
    const dropped = await store.sentLogsAfter(ancestor.number);
    // Removals first, cursor after: a crash in between finds the same mismatch and sends them again.
    await enqueueAll(this.d.producer, dropped.map(asRemoval), this.d.cfg.enqueueChunkSize, metrics);
    await store.rewind(ancestor.number, ancestor.hash);
    metrics.reorgs.inc();
    metrics.reorgDepth.observe(depth);
    log.warn(
      { depth, from: this.state.cursor, ancestor: ancestor.number, removals: dropped.length },
      're-organisation: removals sent for the dropped blocks, rewound to the common ancestor',
    );
    await this.init();
  }

  private raiseDeepReorg(): void {
    const deep = { cursor: this.state.cursor, oldestKnown: this.state.blocks[0]!.number };
    if (!this.deepReorg) {
      this.d.log.error(
        { ...deep, window: this.d.cfg.reorgWindow },
        're-organisation deeper than REORG_WINDOW: no stored block is on the chain any more; indexing halted (recovery: docs/INDEXER.md)',
      );
    }
    this.deepReorg = deep;
    this.d.metrics.deepReorg.set(1);
  }

  private clearDeepReorg(): void {
    if (this.deepReorg) this.d.log.warn('the stored blocks are on the chain again; indexing resumes');
    this.deepReorg = null;
    this.d.metrics.deepReorg.set(0);
  }

  /** Indexes [from, to], or a shorter range when it has more than MAX_LOGS_PER_RANGE logs; returns its end. */
  private async indexRange(from: number, upTo: number, head: number): Promise<number> {
    const { cfg, chain, mapping } = this.d;
    const finalBelow = head - cfg.reorgWindow + 1;
    const t0 = Date.now();
    const factoryLogs = await chain.getLogs({ address: cfg.factoryAddress, fromBlock: from, toBlock: upTo });
    const ctx = (log: Log, ts: number) => ({ chainId: this.d.chainId, blockTimestamp: ts });
    // Vaults deployed in this range may already have logs in it: discover first, then fetch.
    const newVaults: { address: string; blockNumber: number }[] = [];
    for (const l of factoryLogs) {
      const e = mapping.toEvent(l, ctx(l, 0));
      const vault = e && mapping.vaultOf(e);
      if (vault && !this.vaults.has(vault) && !newVaults.some((v) => v.address === vault)) {
        newVaults.push({ address: vault, blockNumber: Number(l.blockNumber) });
      }
    }
    const addresses = [...this.vaults, ...newVaults.map((v) => v.address)] as Hex[];
    const chunks: Hex[][] = [];
    for (let i = 0; i < addresses.length; i += cfg.addressChunkSize) chunks.push(addresses.slice(i, i + cfg.addressChunkSize));
    const vaultLogs = (await Promise.all(chunks.map((address) => chain.getLogs({ address, fromBlock: from, toBlock: upTo })))).flat();
    const all = [...factoryLogs, ...vaultLogs].sort((a, b) => Number(a.blockNumber! - b.blockNumber!) || a.logIndex! - b.logIndex!);
    // Bounded work per range: cut at a block boundary before anything is enqueued or kept.
    const { to, logs } = boundByLogs(all, from, upTo, cfg.maxLogsPerRange);
    const newVaultsKept = newVaults.filter((v) => v.blockNumber <= to);

    // Headers: every recent block (hash kept for re-organisation checks), the range's last block
    // (the cursor's hash), and the block of any log the node gave without its timestamp.
    const wanted = new Set<number>([to]);
    for (let n = Math.max(from, finalBelow); n <= to; n++) wanted.add(n);
    for (const l of logs) if (l.blockTimestamp == null) wanted.add(Number(l.blockNumber));
    const headers = new Map<number, Block>();
    await Promise.all(
      [...wanted].map(async (n) => {
        const b = await chain.block(n);
        if (!b || b.hash === null) throw new ChainMovedError(`block ${n} is gone`);
        headers.set(n, b);
      }),
    );
    this.assertConsistent(from, headers, logs);
    const t1 = Date.now();

    const events: IndexedEvent[] = [];
    const hashOf = new Map(logs.map((l) => [`${l.transactionHash!.toLowerCase()}:${l.logIndex}`, l.blockHash!.toLowerCase()]));
    for (const [i, l] of logs.entries()) {
      if (i > 0 && i % YIELD_EVERY === 0) await yieldToEventLoop(); // decoding and validating 10,000 logs takes a while
      const n = Number(l.blockNumber);
      const ts = l.blockTimestamp != null ? Number(l.blockTimestamp) : Number(headers.get(n)!.timestamp);
      const e = mapping.toEvent(l, ctx(l, ts));
      if (!e) {
        this.d.metrics.logsSkipped.inc({ reason: 'not_an_event' });
        continue;
      }
      const problem = payloadProblem(e);
      if (problem) {
        // Sending it would only fill a failed set; stopping would halt every vault. Say it loudly.
        this.d.metrics.logsSkipped.inc({ reason: 'invalid_payload' });
        this.d.log.error({ txHash: l.transactionHash, logIndex: l.logIndex, blockNumber: n, problem }, 'log skipped: the contract rejects its payload');
        continue;
      }
      events.push(e);
    }
    await enqueueAll(this.d.producer, events, cfg.enqueueChunkSize, this.d.metrics);
    const t2 = Date.now();

    const recent: StoredBlock[] = [...headers.values()]
      .filter((b) => Number(b.number) >= finalBelow)
      .map((b) => ({ number: Number(b.number), hash: b.hash!, parentHash: b.parentHash }))
      .sort((a, b) => a.number - b.number);
    const logsBelow = head - cfg.sentLogRetention + 1;
    const sent: SentLog[] = events
      .filter((e) => e.payload.blockNumber >= logsBelow)
      .map((e) => ({
        blockNumber: e.payload.blockNumber,
        blockHash: hashOf.get(`${e.payload.txHash}:${e.payload.logIndex}`)!,
        txHash: e.payload.txHash,
        logIndex: e.payload.logIndex,
        kind: e.kind,
        payload: e.payload,
      }));
    const toHash = headers.get(to)!.hash!;
    await this.d.store.commitRange({ toBlock: to, toHash, blocks: recent, vaults: newVaultsKept, logs: sent, finalBelow, logsBelow });

    this.d.log.debug({ from, to, logs: logs.length, headers: headers.size, readMs: t1 - t0, enqueueMs: t2 - t1, commitMs: Date.now() - t2 }, 'range indexed');
    for (const v of newVaultsKept) this.vaults.add(v.address);
    this.state.cursor = to;
    this.state.cursorHash = toHash;
    this.state.blocks = [...this.state.blocks.filter((b) => b.number >= finalBelow && b.number < from), ...recent];
    this.d.metrics.blocksIndexed.inc(to - from + 1);
    this.d.metrics.cursorBlock.set(to);
    this.d.metrics.vaults.set(this.vaults.size);
    return to;
  }

  /** Every header and log of the range must be on one branch, the one the cursor is on. */
  private assertConsistent(from: number, headers: Map<number, Block>, logs: Log[]): void {
    const first = headers.get(from);
    if (first && this.state.cursorHash && from === this.state.cursor + 1 && first.parentHash !== this.state.cursorHash) {
      throw new ChainMovedError(`block ${from} does not follow the cursor's block`);
    }
    for (const l of logs) {
      const h = headers.get(Number(l.blockNumber));
      if (h && h.hash !== l.blockHash) throw new ChainMovedError(`log of block ${l.blockNumber} is from another branch`);
    }
    const numbers = [...headers.keys()].sort((a, b) => a - b);
    for (let i = 1; i < numbers.length; i++) {
      const [a, b] = [headers.get(numbers[i - 1]!)!, headers.get(numbers[i]!)!];
      if (numbers[i] === numbers[i - 1]! + 1 && b.parentHash !== a.hash) throw new ChainMovedError(`blocks ${numbers[i - 1]} and ${numbers[i]} do not chain`);
    }
  }
}

function asRemoval(l: SentLog): OutgoingEvent {
  return { kind: l.kind, payload: { ...l.payload, removed: true } };
}
