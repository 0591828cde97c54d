import { runCli } from '@vaults/ops';
import { Producer, createDatabase, createRedis, loadConfig, startService, type RunningService } from '@vaults/shared';
import { addr, createTestDatabase, deploy, waitUntil, type TestDatabase } from '@vaults/testkit';
import { vaultWorker } from '@vaults/vault-worker';
import { makeCerts, removeCerts, startTlsPostgres, startTlsRedis, type Certs, type TlsPostgres, type TlsRedis } from './servers';

// A managed Postgres and Redis speak TLS with a certificate from a CA of their own. Mounting that
// CA and naming it (DATABASE_CA_FILE, REDIS_CA_FILE) is all a worker needs; without it,
// node-postgres 8 refuses `sslmode=require` (it verifies as verify-full) and ioredis refuses
// rediss://. Both servers here refuse clients that do not use TLS.

let certs: Certs;
let pg: TlsPostgres;
let redis: TlsRedis;

beforeAll(async () => {
  certs = makeCerts();
  pg = await startTlsPostgres(certs);
  redis = await startTlsRedis(certs);
}, 120_000);

afterAll(async () => {
  pg?.stop();
  await redis?.stop();
  if (certs) removeCerts(certs);
});

const config = (env: Record<string, string>) => loadConfig(env, { concurrency: 1, metricsPort: 0 });

describe('Postgres', () => {
  it('connects over TLS, verifying the server against DATABASE_CA_FILE', async () => {
    const db = createDatabase(config({ DATABASE_URL: pg.url(), DATABASE_CA_FILE: certs.ca }).databaseUrl, 1);
    try {
      const [row] = await db.sql.query<{ ssl: boolean }>`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
      expect(row!.ssl).toBe(true);
    } finally {
      await db.close();
    }
  });

  it.each([
    ['without a CA, sslmode=require (node-postgres 8 verifies it as verify-full)', () => `${pg.url()}?sslmode=require`, /unable to verify the first certificate|self[- ]signed certificate/],
    ['with a CA that did not sign the server certificate', () => config({ DATABASE_URL: pg.url(), DATABASE_CA_FILE: certs.otherCa }).databaseUrl, /self[- ]signed certificate|unable to verify/],
    ['without TLS (the server refuses)', () => `${pg.url()}?sslmode=disable`, /no pg_hba\.conf entry|rejects connection/],
  ])('refuses: %s', async (_what, url, error) => {
    const db = createDatabase(url(), 1);
    try {
      await expect(db.ping()).rejects.toThrow(error);
    } finally {
      await db.close();
    }
  });

  it('DIRECT_DATABASE_URL gets the CA too, and defaults to DATABASE_URL', () => {
    const c = config({ DATABASE_URL: pg.url(), DIRECT_DATABASE_URL: pg.url('direct'), DATABASE_CA_FILE: certs.ca });
    expect(new URL(c.directDatabaseUrl).searchParams.get('sslrootcert')).toBe(certs.ca);
    expect(new URL(c.directDatabaseUrl).pathname).toBe('/direct');
    expect(config({ DATABASE_URL: pg.url() }).directDatabaseUrl).toBe(pg.url());
  });
});

describe('Redis', () => {
  it('connects to rediss:// verifying the server against REDIS_CA_FILE', async () => {
    const r = createRedis(redis.url, 'wait', {}, { REDIS_CA_FILE: certs.ca });
    try {
      expect(await r.ping()).toBe('PONG');
    } finally {
      r.disconnect();
    }
  });

  it('refuses a server whose CA it was not given', async () => {
    const r = createRedis(redis.url, 'fail-fast', { retryStrategy: () => null }, {});
    const failed = new Promise<Error>((resolve) => r.once('error', resolve));
    try {
      expect((await failed).message).toMatch(/self[- ]signed certificate/);
    } finally {
      r.disconnect();
    }
  });
});

describe('a worker and vaults-ops on TLS Postgres and TLS Redis', () => {
  let db: TestDatabase;
  let service: RunningService | undefined;
  beforeAll(async () => {
    // The migrations too (they read the URL's sslrootcert).
    db = await createTestDatabase('vaults_tls', config({ DATABASE_URL: pg.url(), DATABASE_CA_FILE: certs.ca }).databaseUrl);
  }, 120_000);
  afterAll(async () => {
    await service?.close();
    await db?.drop();
  });

  it('processes a job end to end, and vaults-ops status reads both', async () => {
    const name = new URL(db.url).pathname.slice(1);
    const env = { DATABASE_URL: pg.url(name), DATABASE_CA_FILE: certs.ca, REDIS_URL: redis.url, REDIS_CA_FILE: certs.ca, LOG_LEVEL: 'silent', METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' };
    service = await startService(vaultWorker, { env });
    const connection = createRedis(redis.url, 'wait', {}, { REDIS_CA_FILE: certs.ca });
    const producer = new Producer({ connection });
    try {
      await producer.vaultDeployed(deploy(1, 2));
      const check = createDatabase(config(env).databaseUrl, 1);
      try {
        await waitUntil(async () => (await check.sql.query`SELECT 1 FROM "Vault" WHERE "contractAddress" = ${addr(1)}`).length === 1, 30_000, 'the vault row');
      } finally {
        await check.close();
      }
      const out: string[] = [];
      const code = await runCli(['status'], env, { out: (l) => out.push(l), err: (l) => out.push(l) });
      expect({ code, out: out.join('\n') }).toEqual({ code: 0, out: expect.stringMatching(/VaultDeployedQueue\s+waiting 0  active 0  delayed 0  prioritized 0  failed 0/) });
    } finally {
      await producer.close();
      connection.disconnect();
    }
  });
});

