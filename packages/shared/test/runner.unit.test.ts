import { checkHandlers } from '../src';

describe('runner start-up checks', () => {
  const noop = async () => undefined;

  it('accepts a definition with one handler per job name of its queue', () => {
    expect(() => checkHandlers({ queue: 'follower', handlers: { FollowerSubscribed: noop, FollowerUnsubscribed: noop } })).not.toThrow();
  });

  it('fails start-up when a job name of the queue has no handler', () => {
    expect(() => checkHandlers({ queue: 'follower', handlers: { FollowerSubscribed: noop } })).toThrow(
      'FollowerEventQueue: no handler for job name(s) FollowerUnsubscribed',
    );
  });

  it('fails start-up when a handler names a job the queue does not have', () => {
    expect(() => checkHandlers({ queue: 'trade', handlers: { TradeExecuted: noop, TradeCancelled: noop } })).toThrow(
      'TradeProcessingQueue: handler(s) for unknown job name(s) TradeCancelled',
    );
  });
});
