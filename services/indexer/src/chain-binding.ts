import type { Database } from '@vaults/shared';
import type { ChainConfig } from './config';

// A stream is bound to the chain it was created on. The stream id is `<chainId>:<factory>`, so a
// node on another chain would simply open a new stream from START_BLOCK (vaults and trades
// doubled under the other chain id); comparing the stored row's chain id with the node's is
// comparing a value with itself. The binding is therefore checked by factory: one writer per
// factory per database (the writer lock is keyed the same way), on the chain its stream was
// created on. CHAIN_ID, when set, is checked too, before anything is created.

export class ChainMismatchError extends Error {
  override readonly name = 'ChainMismatchError';
}

export function streamIdOf(chainId: number, factory: string): string {
  return `${chainId}:${factory}`;
}

/** Throws ChainMismatchError, naming both chain ids, unless the node is on the stream's chain. */
export async function assertChainBinding(db: Database, cfg: Pick<ChainConfig, 'chainId' | 'factoryAddress'>, nodeChainId: number): Promise<void> {
  if (cfg.chainId !== undefined && cfg.chainId !== nodeChainId) {
    throw new ChainMismatchError(`CHAIN_ID is ${cfg.chainId} but the node is on chain ${nodeChainId}: point RPC_URL at a chain-${cfg.chainId} node`);
  }
  const rows = await db.sql.query<{ chainId: string }>`
    SELECT DISTINCT "chainId"::text AS "chainId" FROM "IndexerCursor" WHERE "streamId" LIKE ${`%:${cfg.factoryAddress}`}`;
  const other = rows.map((r) => Number(r.chainId)).find((id) => id !== nodeChainId);
  if (other !== undefined) {
    throw new ChainMismatchError(
      `the node is on chain ${nodeChainId}, but the stream of factory ${cfg.factoryAddress} in this database was created on chain ${other}: ` +
        `point RPC_URL at a chain-${other} node (a factory on another chain needs a database of its own)`,
    );
  }
}
