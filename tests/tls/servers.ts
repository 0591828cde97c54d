import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

// A throwaway TLS Postgres and TLS Redis with certificates made here (openssl): a CA, and a
// server certificate it signed for 127.0.0.1 and localhost. Postgres is a cluster of its own
// (initdb) that refuses connections without TLS; Redis listens on its TLS port only.

function run(cmd: string, args: string[], opts: { asPostgres?: boolean } = {}): string {
  // initdb and postgres refuse to run as root: as the postgres user when we are root.
  const [c, a] = opts.asPostgres && process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(c, a, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Certs {
  dir: string;
  ca: string;
  /** A CA that signed nothing here: trusting it alone must fail. */
  otherCa: string;
  cert: string;
  key: string;
}

export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'vaults-tls-'));
  chmodSync(dir, 0o755);
  const p = (f: string) => join(dir, f);
  for (const ca of ['ca', 'other-ca']) {
    run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=vaults test ${ca}`, '-keyout', p(`${ca}.key`), '-out', p(`${ca}.crt`)]);
  }
  run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', p('server.key'), '-out', p('server.csr')]);
  writeFileSync(p('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', p('san.ext'), '-out', p('server.crt')]);
  for (const f of readdirSync(dir)) chmodSync(p(f), f.endsWith('.key') ? 0o600 : 0o644);
  return { dir, ca: p('ca.crt'), otherCa: p('other-ca.crt'), cert: p('server.crt'), key: p('server.key') };
}

function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error(`no PostgreSQL under ${base}`);
  return join(base, versions[0]!, 'bin', name);
}

export interface TlsPostgres {
  port: number;
  /** postgresql://postgres@127.0.0.1:port/<db>, no TLS parameters. */
  url(db?: string): string;
  stop(): void;
}

export async function startTlsPostgres(certs: Certs): Promise<TlsPostgres> {
  const data = join(certs.dir, 'pg');
  const root = process.getuid?.() === 0;
  if (root) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const uid = Number(pw.stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    // The server reads its key as its own user, and refuses a key others can read.
    for (const f of [certs.cert, certs.key]) chownSync(f, uid, gid);
    chownSync(certs.dir, uid, gid);
  }
  run(pgBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { asPostgres: true });
  const port = await freePort();
  appendFileSync(join(data, 'postgresql.conf'), [
    `port = ${port}`, `listen_addresses = '127.0.0.1'`, `unix_socket_directories = '${certs.dir}'`, 'fsync = off',
    'ssl = on', `ssl_cert_file = '${certs.cert}'`, `ssl_key_file = '${certs.key}'`, '',
  ].join('\n'));
  // TLS or nothing over TCP: a client that does not use TLS is turned away.
  writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 0.0.0.0/0 reject\n');
  run(pgBin('pg_ctl'), ['-D', data, '-l', join(certs.dir, 'pg.log'), '-w', '-t', '60', 'start'], { asPostgres: true });
  return {
    port,
    url: (db = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${db}`,
    stop: () => void run(pgBin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], { asPostgres: true }),
  };
}

export interface TlsRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export async function startTlsRedis(certs: Certs): Promise<TlsRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', [
    '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1',
    '--tls-cert-file', certs.cert, '--tls-key-file', certs.key, '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no',
    '--save', '', '--appendonly', 'no', '--dir', certs.dir,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    createInterface({ input: child.stdout! }).on('line', (l) => {
      out += `${l}\n`;
      if (/Ready to accept connections/.test(l)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return {
    port,
    url: `rediss://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function removeCerts(certs: Certs): void {
  rmSync(certs.dir, { recursive: true, force: true });
}
