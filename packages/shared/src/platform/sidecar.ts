import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { redactSecrets } from './redact';

// The health and metrics sidecar of one worker service.
// - /healthz (liveness): the process and its worker loop are alive. It does NOT look at Postgres
//   or Redis: a brief outage must not make Kubernetes restart every pod at once.
// - /readyz (readiness): 200 only when Redis and the database answer and the worker runs;
//   otherwise 503 with the failing checks in the body.
// - /metrics: Prometheus text from the service's private registry.

export type Check = () => Promise<void>;

export interface SidecarOptions {
  registry: Registry;
  isAlive(): boolean;
  checks: Record<string, Check>;
  /** Refreshes scrape-time gauges (queue depth) before /metrics renders. */
  beforeScrape?(): Promise<void>;
  checkTimeoutMs?: number;
}

async function runCheck(check: Check, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return null;
  } catch (err) {
    return redactSecrets((err as Error).message || String(err));
  } finally {
    clearTimeout(timer);
  }
}

export function createSidecar(opts: SidecarOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  const timeoutMs = opts.checkTimeoutMs ?? 1000;

  app.get('/healthz', async (_req, reply) => {
    const alive = opts.isAlive();
    return reply.code(alive ? 200 : 503).send({ status: alive ? 'ok' : 'dead' });
  });

  app.get('/readyz', async (_req, reply) => {
    const names = Object.keys(opts.checks);
    const results = await Promise.all(names.map((n) => runCheck(opts.checks[n]!, timeoutMs)));
    const checks: Record<string, string> = {};
    names.forEach((n, i) => (checks[n] = results[i] ?? 'ok'));
    const ready = results.every((r) => r === null);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', async (_req, reply) => {
    await opts.beforeScrape?.().catch(() => undefined);
    return reply.type(opts.registry.contentType).send(await opts.registry.metrics());
  });

  return app;
}
