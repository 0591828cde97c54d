import { vaultEventService, type TradeExecuted } from '@vaults/shared';
import { recordTrades } from './store';

export const tradeWorker = vaultEventService<TradeExecuted>({
  name: 'trade-worker',
  queue: 'trade',
  jobNames: ['TradeExecuted'],
  defaults: { concurrency: 400, metricsPort: 9102 },
  operation: 'record_trades',
  write: recordTrades,
});
