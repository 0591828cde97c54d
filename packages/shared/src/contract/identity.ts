/**
 * An event's identity (docs/CONTRACT.md §3, contract version 2): (chainId, blockHash, logIndex).
 * A log belongs to its block: the same transaction re-included in a block of another hash is
 * another event. `txHash` is a content field that copies must agree on (§4), not identity.
 */
export interface EventIdentity {
  chainId: number;
  blockHash: string;
  logIndex: number;
}

/** An event's position orders the events of one chain: (blockNumber, logIndex). */
export interface EventPosition {
  blockNumber: number | bigint;
  logIndex: number | bigint;
}

/** A stable string for logs and maps: "1:0xabc…:7" (blockHash lower-cased). */
export function identityKey(e: EventIdentity): string {
  return `${e.chainId}:${e.blockHash.toLowerCase()}:${e.logIndex}`;
}

/**
 * A BullMQ job id for an on-chain event. BullMQ rejects ':' in custom ids, so '_' separates.
 * A removal gets its own id: were it to share the original's, BullMQ would drop the removal
 * as a duplicate while the original job is still retained.
 */
export function eventJobId(jobName: string, e: EventIdentity & { removed?: boolean }): string {
  const base = `${jobName}_${e.chainId}_${e.blockHash.toLowerCase()}_${e.logIndex}`;
  return e.removed ? `${base}_removed` : base;
}

/** The deduplication id that keeps one pending snapshot per vault. */
export function snapshotDedupId(chainId: number, vaultAddress: string): string {
  return `snapshot_${chainId}_${vaultAddress.toLowerCase()}`;
}

/** Compare two positions (blockNumber, then logIndex). */
export function comparePositions(a: EventPosition, b: EventPosition): number {
  const ab = BigInt(a.blockNumber);
  const bb = BigInt(b.blockNumber);
  if (ab !== bb) return ab < bb ? -1 : 1;
  const al = BigInt(a.logIndex);
  const bl = BigInt(b.logIndex);
  return al === bl ? 0 : al < bl ? -1 : 1;
}
