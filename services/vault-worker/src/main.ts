import { runMain } from '@vaults/shared';
import { vaultWorker } from './service';

runMain(vaultWorker);
