import { z } from 'zod';
import { ENV_FIELDS, parseEnv } from '@vaults/shared';

// The board's environment, parsed once with the workers' schemas for the variables they share
// (ENV_FIELDS) and the same error (ConfigError naming each bad variable, never its value).
// Without credentials it refuses to start, unless BULL_BOARD_LOCAL=true: then it serves on
// 127.0.0.1 only, for a developer's own machine.

const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const flag = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .default('false')
  .transform((v) => v === 'true' || v === '1');

export const boardEnvSchema = z
  .object({
    ...ENV_FIELDS,
    BULL_BOARD_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    BULL_BOARD_USER: z.preprocess(blankIsUnset, z.string().optional()),
    BULL_BOARD_PASSWORD: z.preprocess(blankIsUnset, z.string().optional()),
    BULL_BOARD_LOCAL: flag,
  })
  .superRefine((env, ctx) => {
    const hasUser = env.BULL_BOARD_USER !== undefined;
    const hasPassword = env.BULL_BOARD_PASSWORD !== undefined;
    if (hasUser !== hasPassword) {
      const missing = hasUser ? 'BULL_BOARD_PASSWORD' : 'BULL_BOARD_USER';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'is required when the other credential is set' });
    } else if (!hasUser && !env.BULL_BOARD_LOCAL) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          'BULL_BOARD_USER and BULL_BOARD_PASSWORD are required (basic auth); ' +
          'set BULL_BOARD_LOCAL=true to run without them on 127.0.0.1 only',
      });
    }
  })
  .transform((env) => ({
    redisUrl: env.REDIS_URL,
    queuePrefix: env.QUEUE_PREFIX,
    logLevel: env.LOG_LEVEL,
    port: env.BULL_BOARD_PORT,
    local: env.BULL_BOARD_LOCAL,
    // Local mode is reachable from this machine only; otherwise every interface (a container).
    host: env.BULL_BOARD_LOCAL ? '127.0.0.1' : '0.0.0.0',
    credentials:
      env.BULL_BOARD_USER !== undefined && env.BULL_BOARD_PASSWORD !== undefined
        ? { user: env.BULL_BOARD_USER, password: env.BULL_BOARD_PASSWORD }
        : null,
  }));

export type BoardConfig = z.output<typeof boardEnvSchema>;

/** Parse the environment; throws ConfigError naming each bad variable, never its value. */
export function loadBoardConfig(env: NodeJS.ProcessEnv): BoardConfig {
  return parseEnv(boardEnvSchema, env);
}
