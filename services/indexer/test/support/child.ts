import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@vaults/devchain';

// The indexer as a child process (node --import tsx src/main.ts), as it runs in production, so a
// test can kill -9 it. Its output is kept for the failure message.

const MAIN = join(__dirname, '..', '..', 'src', 'main.ts');

export class IndexerProcess {
  output = '';
  private exited: Promise<number | null>;

  private constructor(
    readonly proc: ChildProcess,
    readonly port: number,
  ) {
    proc.stdout!.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-20_000)));
    proc.stderr!.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-20_000)));
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  static async start(env: Record<string, string>): Promise<IndexerProcess> {
    const port = await freePort();
    const proc = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, ...env, METRICS_PORT: String(port), LOG_LEVEL: env.LOG_LEVEL === 'silent' ? 'warn' : env.LOG_LEVEL },
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new IndexerProcess(proc, port);
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** A metric's value from /metrics (first series), or null while the sidecar does not answer. */
  async metric(name: string): Promise<number | null> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line ? Number(line.split(' ').at(-1)) : null;
    } catch {
      return null;
    }
  }

  async kill9(): Promise<void> {
    if (this.running) this.proc.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<number | null> {
    if (this.running) this.proc.kill('SIGTERM');
    return this.exited;
  }
}
