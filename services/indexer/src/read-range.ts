import { toEventSelector, type AbiEvent, type Block, type Hex, type Log } from 'viem';
import type { ChainConfig } from './config';
import { bloomMayMatch, type WatchedLogs } from './bloom';
import type { EventMapping } from './events';
import { boundByLogs } from './range';
import type { ChainReader } from './rpc';

// Reads one block range: the factory's logs (new vaults), the vaults' logs by address chunks, then
// the headers, and checks that what it read follows the cursor, is complete, and is one branch.
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
  /** `to` was brought down because the range held more than MAX_LOGS_PER_RANGE logs. */
  cutByLogs: boolean;
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
  const factory: WatchedLogs = { addresses: [cfg.factoryAddress], topics: topicsOf(mapping.factoryAbi) };
  const vaultTopics = topicsOf(mapping.vaultAbi);
  const chunked = (addresses: Hex[]) => {
    const chunks: Hex[][] = [];
    for (let i = 0; i < addresses.length; i += cfg.addressChunkSize) chunks.push(addresses.slice(i, i + cfg.addressChunkSize));
    return chunks;
  };
  const vaultLogsOf = async (addresses: Hex[], fromBlock: number) =>
    (await Promise.all(chunked(addresses).map((address) => chain.getLogs({ address, fromBlock, toBlock: to })))).flat();

  // Vaults deployed in this range may already have logs in it: discover first, then fetch.
  let factoryLogs = await chain.getLogs({ address: cfg.factoryAddress, fromBlock: from, toBlock: to });
  const newVaults: RangeRead['newVaults'] = [];
  const discover = (logs: Log[]) => {
    const found: RangeRead['newVaults'] = [];
    for (const l of logs) {
      const e = mapping.toEvent(l, { chainId: d.chainId, blockTimestamp: 0 });
      const vault = e && mapping.vaultOf(e);
      if (vault && !vaults.has(vault) && !newVaults.some((v) => v.address === vault)) found.push({ address: vault, blockNumber: Number(l.blockNumber) });
    }
    newVaults.push(...found);
    return found;
  };
  discover(factoryLogs);
  let vaultLogs = await vaultLogsOf([...vaults, ...newVaults.map((v) => v.address)] as Hex[], from);

  // Bounded work per range (MAX_LOGS_PER_RANGE): cut at a block boundary before anything else.
  const byPosition = (a: Log, b: Log) => Number(a.blockNumber! - b.blockNumber!) || a.logIndex! - b.logIndex!;
  const bounded = boundByLogs([...factoryLogs, ...vaultLogs].sort(byPosition), from, to, cfg.maxLogsPerRange);
  const cutByLogs = bounded.to < to;
  if (cutByLogs) {
    to = bounded.to;
    factoryLogs = factoryLogs.filter((l) => Number(l.blockNumber) <= to);
    vaultLogs = vaultLogs.filter((l) => Number(l.blockNumber) <= to);
  }

  // Headers: the range's first (its parent is the cursor's block, also below the window), its
  // last (the cursor's hash), every block that is not final (kept for re-organisations), and the
  // block of any log the node gave without its timestamp.
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
  for (const l of [...factoryLogs, ...vaultLogs]) if (l.blockTimestamp == null) wanted.add(Number(l.blockNumber));
  await fetchHeaders(wanted);
  const first = headers.get(from)!;
  if (range.cursorHash && first.parentHash.toLowerCase() !== range.cursorHash.toLowerCase()) {
    throw new ChainMovedError(`block ${from} does not follow the cursor's block`);
  }

  // Completeness: the factory's first (a vault it deploys there has logs to read too), then the vaults'.
  const checkedFactory = await complete(d, headers, factoryLogs, [factory], [[cfg.factoryAddress]], { from, to });
  to = checkedFactory.to;
  const late = discover(checkedFactory.found);
  factoryLogs = [...factoryLogs, ...checkedFactory.found];
  if (late.length) vaultLogs.push(...(await vaultLogsOf(late.map((v) => v.address as Hex), Math.min(...late.map((v) => v.blockNumber)))));
  const addresses = [...vaults, ...newVaults.map((v) => v.address)] as Hex[];
  if (addresses.length) {
    const checked = await complete(d, headers, vaultLogs, [{ addresses, topics: vaultTopics }], chunked(addresses), { from, to });
    to = checked.to;
    vaultLogs = [...vaultLogs, ...checked.found];
  }
  const logs = [...factoryLogs, ...vaultLogs]
    .filter((l) => Number(l.blockNumber) <= to)
    .sort(byPosition);
  // The cut range's last block, and the blocks of logs found late without their timestamp.
  await fetchHeaders([to, ...logs.filter((l) => l.blockTimestamp == null).map((l) => Number(l.blockNumber))]);
  assertConsistent(headers, logs);
  for (const n of [...headers.keys()]) if (n > to) headers.delete(n);
  return { to, logs, headers, newVaults: newVaults.filter((v) => v.blockNumber <= to), cutByLogs };
}

/**
 * The logs a node confirms by block hash for the header-read blocks of [from, to] that the range's
 * answer left without a log of ours while their bloom names one; `to` comes down to the block
 * before the first one that no node would confirm.
 */
async function complete(
  d: RangeReaderDeps,
  headers: Map<number, Block>,
  logs: Log[],
  watched: WatchedLogs[],
  chunks: Hex[][],
  range: { from: number; to: number },
): Promise<{ found: Log[]; to: number }> {
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
  return { found: found.filter((l) => Number(l.blockNumber) <= to), to };
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
