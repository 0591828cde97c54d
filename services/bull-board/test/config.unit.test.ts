import { ConfigError } from '@vaults/shared';
import { loadBoardConfig } from '../src/config';

const creds = { BULL_BOARD_USER: 'ops', BULL_BOARD_PASSWORD: 'pa55-word' };

describe('bull-board config', () => {
  it('refuses to load without credentials, naming both variables and the way out', () => {
    expect(() => loadBoardConfig({})).toThrow(ConfigError);
    expect(() => loadBoardConfig({})).toThrow(/BULL_BOARD_USER and BULL_BOARD_PASSWORD are required.*BULL_BOARD_LOCAL=true/);
  });

  it('treats blank credentials as missing', () => {
    expect(() => loadBoardConfig({ BULL_BOARD_USER: ' ', BULL_BOARD_PASSWORD: '' })).toThrow(/are required/);
  });

  it('refuses half a credential pair, even in local mode', () => {
    expect(() => loadBoardConfig({ BULL_BOARD_USER: 'ops', BULL_BOARD_LOCAL: 'true' })).toThrow(/BULL_BOARD_PASSWORD: is required/);
    expect(() => loadBoardConfig({ BULL_BOARD_PASSWORD: 'x' })).toThrow(/BULL_BOARD_USER: is required/);
  });

  it('with credentials: auth on, all interfaces, documented defaults', () => {
    expect(loadBoardConfig(creds)).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'bull',
      logLevel: 'info',
      port: 3000,
      local: false,
      host: '0.0.0.0',
      credentials: { user: 'ops', password: 'pa55-word' },
    });
  });

  it('local mode without credentials binds 127.0.0.1 only and has no auth', () => {
    const c = loadBoardConfig({ BULL_BOARD_LOCAL: 'true' });
    expect(c).toMatchObject({ local: true, host: '127.0.0.1', credentials: null });
  });

  it('local mode with credentials still binds 127.0.0.1 and keeps auth', () => {
    expect(loadBoardConfig({ ...creds, BULL_BOARD_LOCAL: 'true' })).toMatchObject({ host: '127.0.0.1', credentials: { user: 'ops' } });
  });

  it('reads port, prefix and Redis URL; rejects bad values by name without echoing them', () => {
    const c = loadBoardConfig({ ...creds, BULL_BOARD_PORT: '8080', QUEUE_PREFIX: '{vaults}', REDIS_URL: 'rediss://u:p@redis:6380' });
    expect(c).toMatchObject({ port: 8080, queuePrefix: '{vaults}', redisUrl: 'rediss://u:p@redis:6380' });
    expect(() => loadBoardConfig({ ...creds, BULL_BOARD_PORT: '70000' })).toThrow(/BULL_BOARD_PORT/);
    expect(() => loadBoardConfig({ ...creds, BULL_BOARD_LOCAL: 'yes' })).toThrow(/BULL_BOARD_LOCAL: must be true or false/);
    let message = '';
    try {
      loadBoardConfig({ BULL_BOARD_PASSWORD: 'hunter2-secret', REDIS_URL: 'http://hunter2-secret@x' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/REDIS_URL/);
    expect(message).not.toContain('hunter2-secret');
  });
});
