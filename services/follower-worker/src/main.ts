import { runMain } from '@vaults/shared';
import { followerWorker } from './service';

runMain(followerWorker);
