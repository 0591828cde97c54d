import { runMain } from '@vaults/shared';
import { snapshotWorker } from './service';

runMain(snapshotWorker);
