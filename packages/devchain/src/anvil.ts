import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';

// A local anvil (npm @foundry-rs/anvil ships the binary per platform). The binary is started
// directly, not through the package's node wrapper, so that a signal reaches anvil itself.

export function anvilBinary(): string {
  const req = createRequire(require.resolve('@foundry-rs/anvil/package.json'));
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = req.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
  return join(pkg, '..', 'bin', 'anvil');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface AnvilOptions {
  port?: number;
  /** The address to listen on: 127.0.0.1 unless a container must be reached from outside (0.0.0.0). */
  host?: string;
  /** anvil --state: load it at start, dump it on a clean exit (restart tests). */
  stateFile?: string;
  extraArgs?: string[];
}

export class Anvil {
  private proc: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly opts: AnvilOptions,
  ) {}

  static async start(opts: AnvilOptions = {}): Promise<Anvil> {
    const a = new Anvil(opts.port ?? (await freePort()), opts);
    await a.start();
    return a;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = [
      '--host', this.opts.host ?? '127.0.0.1', '--port', String(this.port), '--chain-id', '31337', '--accounts', '20',
      // Room for many events per transaction (the benchmark) and no fee surprises.
      '--gas-limit', '1000000000', '--code-size-limit', '100000', '--base-fee', '0', '--gas-price', '0',
      ...(this.opts.stateFile ? ['--state', this.opts.stateFile] : []),
      ...(this.opts.extraArgs ?? []),
    ];
    const proc = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('Listening on')) {
          proc.stdout!.off('data', onData);
          proc.stdout!.resume(); // keep draining, or anvil blocks on a full pipe
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      proc.once('exit', (code) => reject(new Error(`anvil exited (${code}) before listening:\n${out.slice(-2000)}`)));
    });
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM lets anvil dump --state; SIGKILL is a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || !this.running) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    await exited;
  }
}
