import { Harness, WORKERS, spawnWorker, type WorkerProcess } from '@vaults/testkit';
import { freePort } from './anvil';
import type { DevChain } from './chain';

// The whole path as processes, for the benchmark and the demo: the four workers and the indexer
// (node --import tsx .../main.ts each, as `pnpm start` runs them) against one database and one
// queue prefix; progress read from the queues and the indexer's stored cursor.

export interface Running extends WorkerProcess {
  port: number;
}

export interface StackOptions {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  logLevel: string;
  print: (line: string) => void;
}

export class Stack {
  readonly processes: Running[] = [];
  readonly queues: Harness;

  constructor(private readonly o: StackOptions) {
    this.queues = new Harness(o.databaseUrl, '', { QUEUE_PREFIX: o.prefix });
  }

  get prefix(): string {
    return this.o.prefix;
  }

  private env(port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      DATABASE_URL: this.o.databaseUrl,
      REDIS_URL: this.o.redisUrl,
      QUEUE_PREFIX: this.o.prefix,
      LOG_LEVEL: this.o.logLevel,
      METRICS_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      ...extra,
    };
  }

  /** A process of `name`, its main the service's or `entry` (a path from the repository's root). */
  async spawn(name: string, extra: Record<string, string> = {}, entry?: string): Promise<Running> {
    const port = await freePort();
    const p = { ...spawnWorker(name, this.env(port, extra), this.o.print, entry), port };
    this.processes.push(p);
    await waitReady(p);
    return p;
  }

  async startWorkers(): Promise<Running[]> {
    return Promise.all(WORKERS.map((w) => this.spawn(w.name)));
  }

  /** The indexer on `chain`; `entry`: another main for it (a bench's prototype). */
  async startIndexer(chain: DevChain, extra: Record<string, string> = {}, entry?: string): Promise<Running> {
    return this.spawn(
      'indexer',
      {
        RPC_URL: chain.url,
        FACTORY_ADDRESS: chain.factory,
        START_BLOCK: String(chain.factoryBlock),
        POLL_INTERVAL_MS: '200',
        ...extra,
      },
      entry,
    );
  }

  /** SIGTERM to each process; true when all exited 0. */
  async stop(): Promise<boolean> {
    const results = await Promise.all(
      this.processes.splice(0).map(async (p) => {
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
        return (await p.exited).code === 0;
      }),
    );
    await this.queues.close();
    return results.every(Boolean);
  }
}

async function waitReady(p: Running, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void p.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${p.name} exited before it was ready`);
    const status = await fetch(`http://127.0.0.1:${p.port}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${p.name} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The indexer's stored cursor and hash (null before its first run). */
export async function storedCursor(databaseUrl: string): Promise<{ block: number; hash: string | null } | null> {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ n: string; h: string | null }>(`SELECT "blockNumber"::text AS n, "blockHash" AS h FROM "IndexerCursor"`);
    return r.rows[0] ? { block: Number(r.rows[0].n), hash: r.rows[0].h } : null;
  } finally {
    await c.end();
  }
}
