import { ConfigError, loadConfig } from '../src';

const defaults = { concurrency: 7, metricsPort: 9999 };

describe('config', () => {
  it('applies documented defaults', () => {
    const c = loadConfig({}, defaults);
    expect(c).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'bull',
      concurrency: 7,
      metricsPort: 9999,
      shutdownTimeoutMs: 25_000,
      batchMaxSize: 100,
    });
  });

  it('reads rediss:// URLs with passwords, ports and numbers from strings', () => {
    const c = loadConfig({ REDIS_URL: 'rediss://u:p@redis.example:6380', WORKER_CONCURRENCY: '12', HEALTH_PORT: '8080', QUEUE_PREFIX: '{vaults}' }, defaults);
    expect(c).toMatchObject({ redisUrl: 'rediss://u:p@redis.example:6380', concurrency: 12, metricsPort: 8080, queuePrefix: '{vaults}' });
    expect(loadConfig({ HEALTH_PORT: '8080', METRICS_PORT: '8081' }, defaults).metricsPort).toBe(8081);
  });

  it('names each bad variable and never echoes a value', () => {
    let error: unknown;
    try {
      loadConfig({ WORKER_CONCURRENCY: 'lots', DATABASE_URL: 'mysql://root:hunter2@db/x', LOG_LEVEL: 'loud' }, defaults);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/WORKER_CONCURRENCY/);
    expect(message).toMatch(/DATABASE_URL: must start with postgres/);
    expect(message).toMatch(/LOG_LEVEL/);
    expect(message).not.toContain('hunter2');
  });
});
