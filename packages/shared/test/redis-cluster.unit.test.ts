import { isCluster, loadConfig, parseClusterUrl, queuePrefix, redactUrl } from '../src';

describe('cluster URL', () => {
  it('reads seeds, credentials and TLS from redis+cluster:// and rediss+cluster://', () => {
    expect(parseClusterUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001')).toEqual({
      nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }], username: undefined, password: undefined, tls: false,
    });
    expect(parseClusterUrl('rediss+cluster://app:p%40ss@cfg.example.com:6379/')).toEqual({
      nodes: [{ host: 'cfg.example.com', port: 6379 }], username: 'app', password: 'p@ss', tls: true,
    });
    expect(parseClusterUrl('redis+cluster://:secret@[::1]:7000').nodes).toEqual([{ host: '::1', port: 7000 }]);
  });

  it('rejects a node without a port, and the config names REDIS_URL without echoing it', () => {
    expect(() => parseClusterUrl('redis+cluster://host-a,host-b:7000')).toThrow('host:port');
    expect(() => loadConfig({ REDIS_URL: 'redis+cluster://u:hunter2@host-a' }, { concurrency: 1, metricsPort: 1 })).toThrow(/REDIS_URL: a cluster URL is/);
    expect(() => loadConfig({ REDIS_URL: 'redis+cluster://u:hunter2@host-a' }, { concurrency: 1, metricsPort: 1 })).not.toThrow(/hunter2/);
    expect(loadConfig({ REDIS_URL: 'redis+cluster://a:1,b:2' }, { concurrency: 1, metricsPort: 1 }).redisUrl).toBe('redis+cluster://a:1,b:2');
  });

  it('redacts the password', () => {
    expect(redactUrl('rediss+cluster://app:hunter2@a:1,b:2')).toBe('rediss+cluster://app:***@a:1,b:2');
    expect(redactUrl('redis+cluster://a:1,b:2')).toBe('redis+cluster://a:1,b:2');
  });
});

describe('queuePrefix', () => {
  it('leaves standalone prefixes alone', () => {
    expect(queuePrefix('bull', 'TradeProcessingQueue', false)).toBe('bull');
  });

  it('gives each queue its own hash tag on a cluster, unless the prefix has one', () => {
    expect(queuePrefix('bull', 'TradeProcessingQueue', true)).toBe('bull:{TradeProcessingQueue}');
    expect(queuePrefix('bull', 'SnapshotCalculationQueue-test-x', true)).toBe('bull:{SnapshotCalculationQueue-test-x}');
    expect(queuePrefix('{vaults}', 'TradeProcessingQueue', true)).toBe('{vaults}');
  });

  it('tells a cluster client from a standalone one by ioredis isCluster', () => {
    expect(isCluster({ isCluster: true })).toBe(true);
    expect(isCluster({ isCluster: false })).toBe(false);
  });
});
