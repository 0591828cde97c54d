import { spawn, type SpawnOptions } from 'node:child_process';

// Running the container tools: every command is logged, its output captured (and streamed when
// asked), and a non-zero exit throws with the command's last lines of output.

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions extends SpawnOptions {
  /** Stream the output, each line prefixed, while capturing it. */
  echo?: string;
  /** Resolve instead of throwing on a non-zero exit. */
  allowFail?: boolean;
  input?: string | Buffer;
  /** Kill the command after this long (then it fails). */
  timeoutMs?: number;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const { echo, allowFail, input, timeoutMs, ...spawnOpts } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...spawnOpts, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const relay = (chunk: Buffer, into: 'out' | 'err') => {
      const text = chunk.toString();
      if (into === 'out') stdout += text;
      else stderr += text;
      if (echo) for (const line of text.split('\n')) if (line.trim()) process.stdout.write(`${echo} ${line}\n`);
    };
    child.stdout!.on('data', (c: Buffer) => relay(c, 'out'));
    child.stderr!.on('data', (c: Buffer) => relay(c, 'err'));
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (result.code !== 0 && !allowFail) {
        const tail = `${stderr}${stdout}`.trim().split('\n').slice(-15).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} exited ${signal ?? code}\n${tail}`));
      } else resolve(result);
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `cond` holds; fails naming what it waited for and the last error seen. */
export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await cond()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${last})` : ''}`);
    await sleep(everyMs);
  }
}
