import { serviceInfo, type QueueKey } from '@vaults/shared';

// A worker's queue and default sidecar port come from the one list of services (SERVICES in
// @vaults/shared), which the runner also reads at start-up (and refuses a definition whose queue
// differs): the deployment files are checked against the code, not a copy.

function info(name: string) {
  const found = serviceInfo(name);
  if (!found) throw new Error(`${name} is not in SERVICES (packages/shared/src/platform/services.ts)`);
  return found;
}

export const serviceQueue = (name: string): QueueKey => info(name).queue;
export const localMetricsPort = (name: string): number => info(name).port;
