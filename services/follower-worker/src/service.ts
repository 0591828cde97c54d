import { defineService, recordFollowerEvents, vaultEventRecorder, type FollowerEvent } from '@vaults/shared';

/**
 * FollowerSubscribed / FollowerUnsubscribed: record the event exactly once (group-committed) and
 * the follower's balance, then ask for the vault's snapshot. The payload's action decides.
 */
export const followerWorker = defineService({
  name: 'follower-worker',
  queue: 'follower',
  createDeps: (infra) => vaultEventRecorder<FollowerEvent>(infra, 'record_follower_events', recordFollowerEvents),
  handlers: {
    FollowerSubscribed: async (event, followers) => {
      await followers.record(event);
    },
    FollowerUnsubscribed: async (event, followers) => {
      await followers.record(event);
    },
  },
  closeDeps: (followers) => followers.close(),
});
