import { vaultEventService, type FollowerEvent } from '@vaults/shared';
import { recordFollowerEvents } from './store';

export const followerWorker = vaultEventService<FollowerEvent>({
  name: 'follower-worker',
  queue: 'follower',
  jobNames: ['FollowerSubscribed', 'FollowerUnsubscribed'],
  defaults: { concurrency: 400, metricsPort: 9103 },
  operation: 'record_follower_events',
  write: recordFollowerEvents,
});
