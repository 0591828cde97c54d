import { runDaemon } from '@vaults/shared';
import { startIndexer } from './service';

runDaemon('indexer', () => startIndexer());
