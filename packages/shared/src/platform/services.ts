import type { QueueKey } from '../contract';

/**
 * The one list of the worker services: scripts (start, demo), the bench, the fault suite, the test
 * harness, the compose and Kubernetes checks all read it, and each service takes its defaults from
 * it. `entry` is relative to the repository root; the image runs `dist/main.js` of `package`.
 */
export const SERVICES = [
  { name: 'vault-worker', package: '@vaults/vault-worker', queue: 'vault', port: 9101, concurrency: 20 },
  { name: 'trade-worker', package: '@vaults/trade-worker', queue: 'trade', port: 9102, concurrency: 400 },
  { name: 'follower-worker', package: '@vaults/follower-worker', queue: 'follower', port: 9103, concurrency: 400 },
  { name: 'snapshot-worker', package: '@vaults/snapshot-worker', queue: 'snapshot', port: 9104, concurrency: 2 },
] as const satisfies readonly { name: string; package: string; queue: QueueKey; port: number; concurrency: number }[];

/**
 * The fifth service: the indexer produces into the four queues from the chain and consumes none,
 * so it is not in SERVICES (what `pnpm start`, the bench and the fault suite spawn as workers).
 */
export const INDEXER = { name: 'indexer', package: '@vaults/indexer', port: 9105 } as const;

/** Every deployed service (one image and one Kubernetes Deployment each): the workers and the indexer. */
export const DEPLOYED_SERVICES: readonly string[] = [...SERVICES.map((s) => s.name), INDEXER.name];

export type ServiceName = (typeof SERVICES)[number]['name'];
export type ServiceInfo = (typeof SERVICES)[number];

export function serviceInfo(name: string): ServiceInfo | undefined {
  return SERVICES.find((s) => s.name === name);
}

/** The source entry of a service (run with `node --import tsx`), relative to the repository root. */
export function serviceEntry(name: string): string {
  return `services/${name}/src/main.ts`;
}
