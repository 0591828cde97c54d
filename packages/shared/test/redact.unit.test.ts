import { Writable } from 'node:stream';
import { createLogger, redactSecrets, redactUrl } from '../src';

// One redaction for every URL a service logs or serves: user, password, key-like path segments
// and query values are replaced; scheme, host, port and ordinary path segments stay.

const KEY = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const KEY2 = 'Zx81Qw72Er63Ty54';

describe('redactUrl', () => {
  it('hides user, password, a key in the path and every query value; keeps host, port and plain segments', () => {
    expect(redactUrl('redis://user:s3cret@host:6379/0')).toBe('redis://***:***@host:6379/0');
    expect(redactUrl('postgresql://postgres@127.0.0.1:5432/vaults')).toBe('postgresql://***@127.0.0.1:5432/vaults');
    expect(redactUrl(`https://mainnet.infura.io/v3/${KEY}?apikey=${KEY2}&x=1`)).toBe('https://mainnet.infura.io/v3/***?apikey=***&x=***');
    expect(redactUrl(`https://eth-mainnet.g.alchemy.com/v2/${KEY2}`)).toBe('https://eth-mainnet.g.alchemy.com/v2/***');
    expect(redactUrl(`https://${KEY}@rpc.example.org/eth`)).toBe('https://***@rpc.example.org/eth');
    expect(redactUrl('http://127.0.0.1:8545/')).toBe('http://127.0.0.1:8545/');
    expect(redactUrl('not a url')).not.toContain('not a url');
  });
});

describe('redactSecrets', () => {
  it('redacts every URL inside a text and leaves the rest of the text alone', () => {
    const text = `HTTP request failed.\n\nStatus: 429\nURL: http://10.0.0.1:8545/v3/${KEY}?apikey=${KEY2}\nRequest body: {"method":"eth_blockNumber"}; see http://a.example/${KEY}.`;
    const out = redactSecrets(text);
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(KEY2);
    expect(out).toContain('URL: http://10.0.0.1:8545/v3/***?apikey=***\n');
    expect(out).toContain('see http://a.example/***.');
    expect(out).toContain('Request body: {"method":"eth_blockNumber"}');
  });
});

describe('createLogger', () => {
  it('redacts URLs in the message, in any field and in an error, without a path list', () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
    const log = createLogger('test', 'info', { destination });
    const url = `https://host/v3/${KEY}?apikey=${KEY2}`;
    log.warn({ rpc: url, err: new Error(`failed: ${url}`) }, `calling ${url}`);
    log.info(`plain ${url}`);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain(KEY);
      expect(line).not.toContain(KEY2);
      expect(line).toContain('https://host/v3/***?apikey=***');
    }
    expect(JSON.parse(lines[0]!).err.message).toBe('failed: https://host/v3/***?apikey=***');
  });
});
