import { loadIndexerConfig } from '../src/config';

const base = { RPC_URL: 'http://127.0.0.1:8545', FACTORY_ADDRESS: '0x00000000000000000000000000000000000000AA', START_BLOCK: '10' };

it('parses the chain settings with their defaults (confirmations 0, window 128)', () => {
  const c = loadIndexerConfig(base);
  expect(c.chain).toMatchObject({ factoryAddress: '0x00000000000000000000000000000000000000aa', startBlock: 10, confirmations: 0, reorgWindow: 128 });
  expect(c.metricsPort).toBe(9105);
});

it('requires RPC_URL, FACTORY_ADDRESS and START_BLOCK, naming each (never a value)', () => {
  expect(() => loadIndexerConfig({})).toThrow(/RPC_URL[\s\S]*FACTORY_ADDRESS[\s\S]*START_BLOCK/);
  expect(() => loadIndexerConfig({ ...base, RPC_URL: 'ws://secret@node' })).toThrow(/RPC_URL: must start with http/);
  expect(() => loadIndexerConfig({ ...base, RPC_URL: 'ws://secret@node' })).not.toThrow(/secret/);
});

it('rejects a first range above the maximum and a log retention below the window', () => {
  expect(() => loadIndexerConfig({ ...base, INITIAL_BLOCK_RANGE: '10', MAX_BLOCK_RANGE: '5' })).toThrow(/INITIAL_BLOCK_RANGE/);
  expect(() => loadIndexerConfig({ ...base, REORG_WINDOW: '64', SENT_LOG_RETENTION: '10' })).toThrow(/SENT_LOG_RETENTION/);
});

it('RPC_URL takes several nodes, comma-separated, each checked', () => {
  const c = loadIndexerConfig({ ...base, RPC_URL: 'http://a:8545, https://b/v3/k' });
  expect(c.chain.rpcUrls).toEqual(['http://a:8545', 'https://b/v3/k']);
  expect(c.chain.rpcUrl).toBe('http://a:8545');
  expect(() => loadIndexerConfig({ ...base, RPC_URL: 'http://a:8545,ws://b' })).toThrow(/RPC_URL: must start with http/);
});
