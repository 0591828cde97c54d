// Compile-time checks of the typed handlers (runner.ts Handlers): `pnpm typecheck` compiles this
// file, and each @ts-expect-error fails the build if its line stops being an error. Not run by jest.
import { defineService, type TradeExecuted, type VaultDeployed } from '../src';

const createDeps = () => ({});

// The right shape compiles: one handler per job name, each with its schema's payload type.
defineService({
  name: 'trade-worker',
  queue: 'trade',
  createDeps,
  handlers: { TradeExecuted: async (trade: TradeExecuted) => void trade.amountIn },
});

// A handler whose payload type does not match its job name's schema.
defineService({
  name: 'trade-worker',
  queue: 'trade',
  createDeps,
  // @ts-expect-error VaultDeployed is not what TradeExecuted's schema outputs
  handlers: { TradeExecuted: async (deploy: VaultDeployed) => void deploy.leader },
});

// A missing handler.
defineService({
  name: 'follower-worker',
  queue: 'follower',
  createDeps,
  // @ts-expect-error FollowerUnsubscribed has no handler
  handlers: { FollowerSubscribed: async () => undefined },
});

// A handler for a job name the queue does not have.
defineService({
  name: 'trade-worker',
  queue: 'trade',
  createDeps,
  // @ts-expect-error TradeCancelled is not a job name of TradeProcessingQueue
  handlers: { TradeExecuted: async () => undefined, TradeCancelled: async () => undefined },
});

// A payload field the schema does not have.
defineService({
  name: 'vault-worker',
  queue: 'vault',
  createDeps,
  handlers: {
    // @ts-expect-error VaultDeployed has no field amountIn
    VaultDeployed: async (deploy) => void deploy.amountIn,
  },
});

// A service name that is not in SERVICES.
defineService({
  // @ts-expect-error not one of SERVICES
  name: 'trade-wrker',
  queue: 'trade',
  createDeps,
  handlers: { TradeExecuted: async () => undefined },
});
