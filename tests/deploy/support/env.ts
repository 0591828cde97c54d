import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '@vaults/shared';
import { boardEnvSchema } from '@vaults/bull-board';

// The environment variables each program reads, from the zod schemas the programs parse their
// environment with (zod 4: a schema with .transform() is a pipe; its input side is the object).

export function objectKeys(schema: unknown): string[] {
  let s = schema as { in?: unknown; shape?: Record<string, unknown> };
  while (!s.shape && s.in) s = s.in as typeof s;
  if (!s.shape) throw new Error('not a zod object (or a pipe out of one)');
  return Object.keys(s.shape);
}

/** Variables a worker reads (packages/shared/src/platform/config.ts). */
export const WORKER_ENV = new Set(objectKeys(configSchema({ concurrency: 1, metricsPort: 9100 })));
/** Variables Bull Board reads (services/bull-board/src/config.ts). */
export const BOARD_ENV = new Set(objectKeys(boardEnvSchema));
/** The migration image runs docker/migrate.cjs, and `prisma migrate deploy` configured by prisma.config.ts. */
export const MIGRATE_ENV = new Set(
  ['prisma.config.ts', 'docker/migrate.cjs'].flatMap((f) =>
    [...readFileSync(join(__dirname, '..', '..', '..', f), 'utf8').matchAll(/process\.env\.(\w+)/g)].map((m) => m[1]!),
  ),
);

/** The worker configuration that an environment gives (defaults filled in). */
export function workerConfig(env: Record<string, string>) {
  return configSchema({ concurrency: 1, metricsPort: 0 }).parse(env);
}
