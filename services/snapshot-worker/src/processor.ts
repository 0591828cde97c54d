import type { CalculateSnapshot, Logger } from '@vaults/shared';
import type { SnapshotResult } from './store';

export interface SnapshotDeps {
  findVaultId(chainId: number, vaultAddress: string): Promise<number | undefined>;
  recompute(vaultId: number): Promise<SnapshotResult>;
}

/** One CalculateSnapshot job: bring the vault's TVL, ROI and drawdown up to date. */
export async function processSnapshot(req: CalculateSnapshot, deps: SnapshotDeps, log?: Logger): Promise<SnapshotResult | undefined> {
  const vaultId = await deps.findVaultId(req.chainId, req.vaultAddress);
  if (vaultId === undefined) {
    // Nothing to compute: a vault with events always exists before its snapshot is asked for.
    log?.info({ vaultAddress: req.vaultAddress }, 'snapshot of an unknown vault: nothing to do');
    return undefined;
  }
  const result = await deps.recompute(vaultId);
  log?.debug({ vaultId, ...result }, 'snapshot done');
  return result;
}
