import { runMain } from '@vaults/shared';
import { tradeWorker } from './service';

runMain(tradeWorker);
