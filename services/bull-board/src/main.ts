import { ConfigError, redactUrl } from '@vaults/shared';
import { buildBoardApp, createBoardLogger } from './app';
import { loadBoardConfig, type BoardConfig } from './config';

// pnpm board: Bull Board over the four queues. Stops cleanly (exit 0) on SIGTERM / SIGINT.

async function main(): Promise<void> {
  let config: BoardConfig;
  try {
    config = loadBoardConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`bull-board: refusing to start: ${err.message}\n`);
    process.exit(1);
  }
  const log = createBoardLogger(config.logLevel);
  if (config.local) {
    log.warn(
      config.credentials
        ? 'BULL_BOARD_LOCAL=true: serving on 127.0.0.1 only'
        : 'BULL_BOARD_LOCAL=true and no credentials: serving WITHOUT authentication, on 127.0.0.1 only',
    );
  }
  const app = await buildBoardApp({ config, logger: log });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const host = typeof address === 'object' && address ? address.address : config.host;
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info(
    { url: `http://${host}:${port}/`, host, port, auth: config.credentials !== null, prefix: config.queuePrefix, redis: redactUrl(config.redisUrl) },
    'bull board listening',
  );

  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) process.exit(1);
    log.info({ signal }, 'stopping');
    app.close().then(
      () => process.exit(0),
      (err) => {
        log.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`bull-board: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
