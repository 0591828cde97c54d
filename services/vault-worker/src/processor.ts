import type { VaultDeployed } from '@vaults/shared';
import type { DeployOutcome } from './store';

export interface VaultDeps {
  record(event: VaultDeployed): Promise<DeployOutcome>;
}

/** One VaultDeployed job: the leader's user, the deploy in the ledger, the vault row. */
export async function processVaultDeployed(event: VaultDeployed, deps: VaultDeps): Promise<DeployOutcome> {
  return deps.record(event);
}
