import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, ensureDatabase } from '@vaults/shared';
import { pg } from './deps';
import { freePort, sleep, waitFor } from './util';

// Servers the suite starts for itself, so that a fault can stop them. Never the machine's shared
// Redis (6379) or Postgres (5432): other tests use those.

/** The newest installed Postgres server binaries (15 on this project's machines). */
const PG_BIN = (() => {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? `/usr/lib/postgresql/${newest}/bin` : '/usr/lib/postgresql/15/bin';
})();

export interface RedisServerOptions {
  /** requirepass: for the secrets test. */
  password?: string;
  appendfsync?: 'always' | 'everysec';
}

/**
 * A redis-server with append-only persistence (appendfsync always by default: every write
 * acknowledged to BullMQ is on disk, so even a SIGKILL loses no job) and noeviction (Redis
 * refuses writes rather than silently dropping jobs when memory is full).
 */
export class RedisServer {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'faults-redis-'));

  private constructor(readonly port: number, private readonly opts: RedisServerOptions) {}

  static async start(opts: RedisServerOptions = {}): Promise<RedisServer> {
    const s = new RedisServer(await freePort(6390), opts);
    await s.start();
    return s;
  }

  url(password = this.opts.password): string {
    return password ? `redis://:${encodeURIComponent(password)}@127.0.0.1:${this.port}` : `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--appendonly', 'yes', '--appendfsync', this.opts.appendfsync ?? 'always',
      '--maxmemory-policy', 'noeviction', '--save', '', '--daemonize', 'no',
      '--logfile', join(this.dir, 'redis.log'),
      ...(this.opts.password ? ['--requirepass', this.opts.password] : []),
    ];
    this.proc = spawn('/usr/bin/redis-server', args, { stdio: 'ignore' });
    await waitFor(() => this.ping(), 15_000, `redis-server on port ${this.port}`, 50);
  }

  private ping(): boolean {
    const auth = this.opts.password ? ['-a', this.opts.password, '--no-auth-warning'] : [];
    const r = spawnSync('/usr/bin/redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...auth, 'ping'], { encoding: 'utf8' });
    return r.stdout.trim() === 'PONG';
  }

  /** Stops the server: SIGKILL (a crash: only what the AOF holds survives) or SIGTERM (clean). */
  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    if (!p || !this.running) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface PgClusterOptions {
  /** A role that must log in with this password over TCP (scram-sha-256): for the secrets test. */
  passwordRole?: { name: string; password: string };
}

/** A Postgres 15 cluster of the suite's own (initdb into a temp dir, run as the postgres user). */
export class PgCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'faults-pg-'));
  private readonly data = join(this.dir, 'data');

  private constructor(readonly port: number) {}

  static async start(opts: PgClusterOptions = {}): Promise<PgCluster> {
    const c = new PgCluster(await freePort(5440));
    chownSync(c.dir, uidOf('postgres'), gidOf('postgres'));
    c.asPostgres(`${PG_BIN}/initdb`, ['-D', c.data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
    appendFileSync(
      join(c.data, 'postgresql.conf'),
      [
        `port = ${c.port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${c.dir}'`,
        'max_connections = 400',
        'shared_buffers = 64MB',
        'password_encryption = scram-sha-256',
        "log_min_messages = 'fatal'",
        '',
      ].join('\n'),
    );
    if (opts.passwordRole) {
      const hba = join(c.data, 'pg_hba.conf');
      writeFileSync(
        hba,
        `host all ${opts.passwordRole.name} 127.0.0.1/32 scram-sha-256\n` + readFileSync(hba, 'utf8'),
      );
    }
    await c.start();
    if (opts.passwordRole) {
      const admin = new pg.Client({ connectionString: c.url('postgres') });
      await admin.connect();
      // A role name is an identifier and cannot be bound; it is a constant of the suite.
      await admin.query(`CREATE ROLE "${opts.passwordRole.name}" LOGIN SUPERUSER PASSWORD '${opts.passwordRole.password.replace(/'/g, "''")}'`);
      await admin.end();
    }
    return c;
  }

  url(database: string, user = 'postgres', password?: string): string {
    const cred = password ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user);
    return `postgresql://${cred}@127.0.0.1:${this.port}/${database}`;
  }

  private asPostgres(cmd: string, args: string[]): string {
    const r = spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  async start(): Promise<void> {
    this.asPostgres(`${PG_BIN}/pg_ctl`, ['-D', this.data, '-l', join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
    await waitFor(async () => {
      const c = new pg.Client({ connectionString: this.url('postgres') });
      await c.connect();
      await c.end();
      return true;
    }, 30_000, `postgres on port ${this.port}`);
  }

  /** immediate: a crash (recovery from the WAL on the next start); fast: a clean stop. */
  async stop(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    this.asPostgres(`${PG_BIN}/pg_ctl`, ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  /** A new database with the project's migrations applied (the same SQL as production). */
  async createDatabase(name: string): Promise<string> {
    const url = this.url(name);
    await ensureDatabase(url);
    await applyMigrations(url);
    return url;
  }

  async destroy(): Promise<void> {
    try {
      await this.stop('immediate');
    } catch {
      // already stopped
    }
    await sleep(100);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function uidOf(user: string): number {
  return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
}
function gidOf(user: string): number {
  return Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
}
