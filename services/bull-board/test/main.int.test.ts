import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { TEST_REDIS_URL } from '@vaults/testkit';

// `pnpm board` as a process: what it refuses, where it binds, what it logs.

const root = join(__dirname, '..', '..', '..');
const main = join(__dirname, '..', 'src', 'main.ts');

interface Board {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** Resolves with the first output line that satisfies the predicate (fails if the process exits first). */
  waitFor(pred: (line: string) => boolean): Promise<string>;
}

function startBoard(env: Record<string, string>): Board {
  // A clean environment: inherited BULL_BOARD_* variables must not leak into the test.
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', REDIS_URL: TEST_REDIS_URL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.pred(line)) w.resolve(line);
        else waiters.push(w);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (pred: (l: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find(pred);
      if (seen) return resolve(seen);
      waiters.push({ pred, resolve });
      void exited.then((code) => reject(new Error(`board exited (${code}) first; output:\n${lines.join('\n')}`)));
    });
  return { child, lines, exited, waitFor };
}

const json = (line: string) => JSON.parse(line) as Record<string, any>;
const isListening = (l: string) => l.includes('"bull board listening"');

describe('bull-board main', () => {
  const running: ChildProcess[] = [];
  afterEach(() => {
    for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('refuses to start without credentials: a clear message, exit 1', async () => {
    const board = startBoard({ BULL_BOARD_PORT: '0' });
    running.push(board.child);
    expect(await board.exited).toBe(1);
    const out = board.lines.join('\n');
    expect(out).toMatch(/refusing to start/);
    expect(out).toMatch(/BULL_BOARD_USER and BULL_BOARD_PASSWORD are required/);
    expect(out).not.toMatch(/listening/);
  });

  it('in local mode binds 127.0.0.1 only, warns, and stops with exit 0', async () => {
    const board = startBoard({ BULL_BOARD_LOCAL: 'true', BULL_BOARD_PORT: '0' });
    running.push(board.child);
    const listening = json(await board.waitFor(isListening));
    expect(listening.host).toBe('127.0.0.1');
    expect(listening.auth).toBe(false);
    const warning = json(await board.waitFor((l) => l.includes('BULL_BOARD_LOCAL=true')));
    expect(warning.level).toBe(40);
    expect(warning.msg).toMatch(/WITHOUT authentication, on 127\.0\.0\.1 only/);
    const res = await fetch(`http://127.0.0.1:${listening.port}/api/queues`);
    expect(res.status).toBe(200);
    board.child.kill('SIGTERM');
    expect(await board.exited).toBe(0);
  });

  it('with credentials: all interfaces, auth on, and the password never reaches the logs', async () => {
    const password = 'a-very-secret-password-42';
    const board = startBoard({ BULL_BOARD_USER: 'ops', BULL_BOARD_PASSWORD: password, BULL_BOARD_PORT: '0', LOG_LEVEL: 'trace' });
    running.push(board.child);
    const listening = json(await board.waitFor(isListening));
    expect(listening.host).toBe('0.0.0.0');
    expect(listening.auth).toBe(true);
    const url = `http://127.0.0.1:${listening.port}/api/queues`;
    const auth = (p: string) => ({ authorization: `Basic ${Buffer.from(`ops:${p}`).toString('base64')}` });
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: auth('nope') })).status).toBe(401);
    expect((await fetch(url, { headers: auth(password) })).status).toBe(200);
    board.child.kill('SIGTERM');
    expect(await board.exited).toBe(0);
    const out = board.lines.join('\n');
    expect(out).toMatch(/request completed/);
    expect(out).not.toContain(password);
    expect(out).not.toContain(Buffer.from(`ops:${password}`).toString('base64'));
  });
});
