import { ConfigError, redactUrl, runDaemon } from '@vaults/shared';
import { buildBoardApp, createBoardLogger } from './app';
import { loadBoardConfig, type BoardConfig } from './config';

// pnpm board: Bull Board over the four queues. Start-up and shutdown as every long-lived process
// of the platform (runDaemon): exit 1 with the reason when it cannot start, 0 after SIGTERM/SIGINT.

runDaemon('bull-board', async () => {
  let config: BoardConfig;
  try {
    config = loadBoardConfig(process.env);
  } catch (err) {
    throw err instanceof ConfigError ? new Error(`refusing to start: ${err.message}`) : err;
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
  return app;
});
