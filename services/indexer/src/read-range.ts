import { toEventSelector, type AbiEvent, type Block, type Hex, type Log } from 'viem';
import type { ChainConfig } from './config';
import { bloomMayMatch, type WatchedLogs } from './bloom';
import type { EventMapping } from './events';
import type { ChainReader } from './rpc';

// Reads one block range: the factory's logs (new vaults), the vaults' logs by address chunks, the
// headers, and checks that what it read is one branch, follows the cursor, and is complete.
//
// Completeness (docs/INDEXER.md): behind a load balancer, eth_getLogs may reach a replica a few
// blocks behind the node that gave the head and the headers; it answers [] (or only its older
// blocks) for the newest ones. For every block whose header is read (the range's first and last,
// and every block not yet final), a block for which the range's answer holds no log of ours is
// checked against its header's logsBloom; if the bloom says a watched log may be there, its logs
// are asked again by block hash (EIP-234), which a node without that block must refuse. The range
// is then cut before the first block that stays unconfirmed: nothing is committed for a block
// whose logs are not known complete.

/** The chain changed under a range being read: drop the range, the next tick sorts it out. */
export class ChainMovedError extends Error {
  override readonly name = 'ChainMovedError';
}

/** Not one block of the range could be confirmed complete: nothing to commit yet. */
export class IncompleteLogsError extends Error {
  override readonly name = 'IncompleteLogsError';
}

export interface RangeRead {
  /** The range actually read: `to` may be below the asked one (see completeness above). */
  to: number;
  logs: Log[];
  headers: Map<number, Block>;
  newVaults: { address: string; blockNumber: number }[];
}

export interface RangeReaderDeps {
  cfg: ChainConfig;
  chain: ChainReader;
  mapping: EventMapping;
  chainId: number;
}

const topicsOf = (abi: readonly unknown[]): Hex[] =>
  abi.filter((i): i is AbiEvent => (i as { type?: string }).type === 'event').map((e) => toEventSelector(e));

export async function readRange(
  d: RangeReaderDeps,
  range: { from: number; to: number; head: number; cursorHash: string | null },
  vaults: ReadonlySet<string>,
): Promise<RangeRead> {
  const { cfg, chain, mapping } = d;
  const { from, head } = range;
  let to = range.to;
  const finalBelow = head - cfg.reorgWindow + 1;

  // Headers first: the range's first (its parent is the cursor's block, also below the window),
  // its last (the cursor's hash), and every block that is not final (kept for re-organisations).
  const headers = new Map<number, Block>();
  const fetchHeaders = (ns: Iterable<number>) =>
    Promise.all(
      [...ns].filter((n) => !headers.has(n)).map(async (n) => {
        const b = await chain.block(n);
        if (!b || b.hash === null) throw new ChainMovedError(`block ${n} is gone`);
        headers.set(n, b);
      }),
    );
  const wanted = new Set<number>([from, to]);
  for (let n = Math.max(from, finalBelow); n <= to; n++) wanted.add(n);
  await fetchHeaders(wanted);
  const first = headers.get(from)!;
  if (range.cursorHash && first.parentHash.toLowerCase() !== range.cursorHash.toLowerCase()) {
    throw new ChainMovedError(`block ${from} does not follow the cursor's block`);
  }

  const factory = { addresses: [cfg.factoryAddress], topics: topicsOf(mapping.factoryAbi) };
  let factoryLogs = await chain.getLogs({ address: cfg.factoryAddress, fromBlock: from, toBlock: to });
  ({ logs: factoryLogs, to } = await complete(d, headers, factoryLogs, [factory], { from, to }));

  // Vaults deployed in this range may already have logs in it: discover first, then fetch.
  const ctx = { chainId: d.chainId, blockTimestamp: 0 };
  const newVaults: RangeRead['newVaults'] = [];
  for (const l of factoryLogs) {
    const e = mapping.toEvent(l, ctx);
    const vault = e && mapping.vaultOf(e);
    if (vault && !vaults.has(vault) && !newVaults.some((v) => v.address === vault)) {
      newVaults.push({ address: vault, blockNumber: Number(l.blockNumber) });
    }
  }
  const addresses = [...vaults, ...newVaults.map((v) => v.address)] as Hex[];
  const chunks: Hex[][] = [];
  for (let i = 0; i < addresses.length; i += cfg.addressChunkSize) chunks.push(addresses.slice(i, i + cfg.addressChunkSize));
  let vaultLogs = (await Promise.all(chunks.map((address) => chain.getLogs({ address, fromBlock: from, toBlock: to })))).flat();
  if (addresses.length) {
    ({ logs: vaultLogs, to } = await complete(d, headers, vaultLogs, [{ addresses, topics: topicsOf(mapping.vaultAbi) }], { from, to }, chunks));
  }
  const logs = [...factoryLogs, ...vaultLogs]
    .filter((l) => Number(l.blockNumber) <= to)
    .sort((a, b) => Number(a.blockNumber! - b.blockNumber!) || a.logIndex! - b.logIndex!);

  // The (possibly cut) range's last block, and the block of any log the node gave without its
  // timestamp.
  const more = new Set<number>([to]);
  for (const l of logs) if (l.blockTimestamp == null) more.add(Number(l.blockNumber));
  await fetchHeaders(more);
  assertConsistent(headers, logs);
  for (const n of [...headers.keys()]) if (n > to) headers.delete(n);
  return { to, logs, headers, newVaults: newVaults.filter((v) => v.blockNumber <= to) };
}

/**
 * The logs of [from, to] with every header-read block confirmed (see above); `to` comes down to
 * the block before the first one whose logs a node would not confirm.
 */
async function complete(
  d: RangeReaderDeps,
  headers: Map<number, Block>,
  logs: Log[],
  watched: WatchedLogs[],
  range: { from: number; to: number },
  chunks: Hex[][] = [watched[0]!.addresses],
): Promise<{ logs: Log[]; to: number }> {
  const withLogs = new Set(logs.map((l) => Number(l.blockNumber)));
  const suspects = [...headers.values()]
    .filter((h) => Number(h.number) <= range.to && !withLogs.has(Number(h.number)) && bloomMayMatch(h.logsBloom ?? '0x', watched))
    .sort((a, b) => Number(a.number! - b.number!));
  let to = range.to;
  const found: Log[] = [];
  const answers = await Promise.all(
    suspects.map((h) =>
      Promise.all(chunks.map((address) => d.chain.logsOfBlock({ address, blockHash: h.hash! }))).then(
        (ls) => ls.flat(),
        (err: Error) => err,
      ),
    ),
  );
  for (const [i, h] of suspects.entries()) {
    const a = answers[i]!;
    if (a instanceof Error) {
      to = Math.min(to, Number(h.number) - 1);
      break;
    }
    found.push(...a);
  }
  if (to < range.from) {
    throw new IncompleteLogsError(`the logs of block ${range.from} are not confirmed: its bloom names a watched log, and no node answered for its hash`);
  }
  return { logs: [...logs, ...found].filter((l) => Number(l.blockNumber) <= to), to };
}

/** Every header and log of the range must be on one branch. */
function assertConsistent(headers: Map<number, Block>, logs: Log[]): void {
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
