import { defineService, recordTrades, vaultEventRecorder, type TradeExecuted } from '@vaults/shared';

/** TradeExecuted: record the trade exactly once (group-committed), then ask for the vault's snapshot. */
export const tradeWorker = defineService({
  name: 'trade-worker',
  queue: 'trade',
  createDeps: (infra) => vaultEventRecorder<TradeExecuted>(infra, 'record_trades', recordTrades),
  handlers: {
    TradeExecuted: async (trade, trades) => {
      await trades.record(trade);
    },
  },
  closeDeps: (trades) => trades.close(),
});
