import { Writable } from 'node:stream';
import { createLogger, processLogger } from '../src';

// Errors are logged whole under `err` (pino's error serializer): type, message and stack survive,
// the fields that can carry a password do not.

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, destination };
}

it('keeps the stack, type and cause of an error logged as { err }', () => {
  const { lines, destination } = capture();
  const log = createLogger('t', 'info', { destination });
  const err = new TypeError('outer', { cause: new Error('inner') });
  log.warn({ err }, 'failed');
  const e = lines[0]!.err as { type: string; message: string; stack: string; cause?: { message: string } };
  expect(e.type).toBe('TypeError');
  expect(e.message).toMatch(/outer/);
  expect(e.stack).toMatch(/logger-errors\.unit\.test\.ts/);
});

it("redacts an ioredis error's command arguments and a URL error's input", () => {
  const { lines, destination } = capture();
  const log = createLogger('t', 'info', { destination });
  const redisErr = Object.assign(new Error('WRONGPASS'), { command: { name: 'auth', args: ['default', 'hunter2'] } });
  let urlErr: unknown;
  try {
    new URL('postgres://u:hunter2@[bad');
  } catch (e) {
    urlErr = e;
  }
  log.warn({ err: redisErr }, 'redis');
  log.warn({ err: urlErr }, 'url');
  log.warn({ err: new Error('wrapped', { cause: redisErr }) }, 'cause');
  expect(JSON.stringify(lines)).not.toContain('hunter2');
  expect(lines[1]!.err).toMatchObject({ input: '***' });
});

it('a process logger falls back to info when LOG_LEVEL names no level', () => {
  const { destination } = capture();
  expect(processLogger('t', { LOG_LEVEL: 'loud' }, { destination }).level).toBe('info');
  expect(processLogger('t', { LOG_LEVEL: 'warn' }, { destination }).level).toBe('warn');
  expect(processLogger('t', {}, { destination }).level).toBe('info');
});
