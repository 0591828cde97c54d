import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { QueueKey, ServiceDefinition } from '@vaults/shared';
import { ROOT } from './repo';

// The definition a worker's main hands to the runner (its queue and default sidecar port), found
// in the service's own modules: the deployment files are checked against the code, not a copy.

const cache = new Map<string, ServiceDefinition<unknown>>();

export function serviceDefinition(name: string): ServiceDefinition<unknown> {
  const cached = cache.get(name);
  if (cached) return cached;
  const src = join(ROOT, 'services', name, 'src');
  const found = readdirSync(src)
    .filter((f) => f.endsWith('.ts') && f !== 'main.ts' && !f.endsWith('.d.ts')) // main.ts starts the service
    .flatMap((f) => Object.values(require(join(src, f)) as Record<string, unknown>))
    .filter((v): v is ServiceDefinition<unknown> => {
      const d = v as Partial<ServiceDefinition<unknown>> | null;
      return typeof d === 'object' && d !== null && d.name === name && typeof d.queue === 'string' && typeof d.defaults === 'object';
    });
  if (found.length !== 1) throw new Error(`services/${name}/src: expected one service definition named ${name}, found ${found.length}`);
  cache.set(name, found[0]!);
  return found[0]!;
}

export const serviceQueue = (name: string): QueueKey => serviceDefinition(name).queue;
export const localMetricsPort = (name: string): number => serviceDefinition(name).defaults.metricsPort;
