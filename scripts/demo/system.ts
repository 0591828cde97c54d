import { createServer } from 'node:net';
import { Client } from 'pg';
import { createRedis, redactUrl } from '@vaults/shared';
import { spawnWorker, WORKERS, type WorkerProcess } from '@vaults/testkit';

export { WORKERS };

// Bringing the local system up and down: checks that fail with a clear message, a fresh demo
// database, and the four workers as separate processes (spawnWorker of @vaults/testkit, as `pnpm start`).


export class DemoError extends Error {
  override readonly name = 'DemoError';
}

const reason = (err: unknown) => {
  const e = err as Error & { code?: string; errors?: Error[] };
  return e.code ?? e.errors?.[0]?.message ?? e.message ?? String(err);
};

export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const redis = createRedis(url, 'fail-fast', { retryStrategy: () => null, lazyConnect: true });
  let cause: unknown;
  redis.on('error', (err) => (cause ??= err)); // the socket's error says more than connect()'s
  try {
    await withTimeout(redis.connect().then(() => redis.ping()), timeoutMs);
  } catch (err) {
    throw new DemoError(
      `Redis is not reachable at ${redactUrl(url)} (${reason(cause ?? err)}).\n` +
        `  Start it (e.g. \`redis-server --daemonize yes\`) or point REDIS_URL at a running server.`,
    );
  } finally {
    redis.disconnect();
  }
}

export async function checkPostgres(databaseUrl: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl(databaseUrl), connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
    await admin.query('SELECT 1');
  } catch (err) {
    throw new DemoError(
      `Postgres is not reachable at ${redactUrl(adminUrl(databaseUrl))} (${reason(err)}).\n` +
        `  Start it (e.g. \`pg_ctlcluster <version> main start\`) or point DATABASE_URL at a running server.`,
    );
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** The sidecar ports must be free, or a worker would die on start (another `pnpm start`?). */
export async function checkPortsFree(): Promise<void> {
  for (const w of WORKERS) {
    await new Promise<void>((resolve, reject) => {
      const server = createServer();
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new DemoError(
            `port ${w.port} (${w.name}'s sidecar) is in use (${err.code}): is \`pnpm start\` or another \`pnpm demo\` running? Stop it first.`,
          ),
        ),
      );
      server.listen(w.port, '0.0.0.0', () => server.close(() => resolve()));
    });
  }
}

/**
 * Drops and recreates the demo database, so the leaderboard reflects this run only. The demo
 * refuses any database whose name does not say "demo": it must never reset real data.
 */
export async function dropDemoDatabase(databaseUrl: string): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!/demo/i.test(name)) {
    throw new DemoError(`the demo resets its database, and "${name}" does not look like a demo database: use a DATABASE_URL whose database name contains "demo"`);
  }
  const admin = new Client({ connectionString: adminUrl(databaseUrl) });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function adminUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

export interface Worker extends WorkerProcess {
  port: number;
}

/** One worker process, its lines prefixed with its name. */
export function startWorker(name: string, port: number, env: NodeJS.ProcessEnv, print: (line: string) => void): Worker {
  return { ...spawnWorker(name, env, print), port };
}

/** Polls the sidecar's /readyz until it answers 200; fails at once if the worker exits. */
export async function waitReady(worker: Worker, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: { code: number | null } | undefined;
  void worker.exited.then((e) => (exited = e));
  let last = 'no answer yet';
  for (;;) {
    if (exited) throw new DemoError(`${worker.name} exited (code ${exited.code}) before it was ready`);
    try {
      const res = await fetch(`http://127.0.0.1:${worker.port}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = reason(err);
    }
    if (Date.now() > deadline) throw new DemoError(`${worker.name} not ready after ${timeoutMs} ms (/readyz: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then wait for the exit; true when it exited 0. */
export async function stopWorker(worker: Worker): Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  const { code, signal } = await worker.exited;
  return { name: worker.name, code, signal };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}
