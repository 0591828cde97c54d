import { ConfigError, loadConfig, withCaFile } from '../src';

// The pooled and direct Postgres URLs, the mounted CAs and the failed-job retention.

const defaults = { concurrency: 1, metricsPort: 0 };

it('DIRECT_DATABASE_URL defaults to DATABASE_URL; FAILED_JOB_RETENTION_DAYS to 7', () => {
  const c = loadConfig({ DATABASE_URL: 'postgresql://u:p@pgbouncer:6432/vaults' }, defaults);
  expect(c).toMatchObject({ databaseUrl: 'postgresql://u:p@pgbouncer:6432/vaults', directDatabaseUrl: 'postgresql://u:p@pgbouncer:6432/vaults', failedJobRetentionDays: 7 });
  const d = loadConfig({ DATABASE_URL: 'postgresql://u:p@pgbouncer:6432/vaults', DIRECT_DATABASE_URL: 'postgresql://u:p@db:5432/vaults', FAILED_JOB_RETENTION_DAYS: '30' }, defaults);
  expect(d).toMatchObject({ directDatabaseUrl: 'postgresql://u:p@db:5432/vaults', failedJobRetentionDays: 30 });
});

it('adds the CA file to both URLs as sslrootcert, verify-full unless the URL names a mode', () => {
  const url = (s: string) => new URL(s).searchParams;
  const c = loadConfig({ DATABASE_URL: 'postgresql://u:p%40ss@db/vaults?sslmode=require', DIRECT_DATABASE_URL: 'postgresql://u@db2/vaults', DATABASE_CA_FILE: __filename }, defaults);
  expect(Object.fromEntries(url(c.databaseUrl))).toEqual({ sslmode: 'require', sslrootcert: __filename });
  expect(Object.fromEntries(url(c.directDatabaseUrl))).toEqual({ sslmode: 'verify-full', sslrootcert: __filename });
  expect(new URL(c.databaseUrl).password).toBe('p%40ss');
  expect(Object.fromEntries(url(withCaFile('postgresql://db/x?sslrootcert=/own.pem', '/other.pem')))).toEqual({ sslrootcert: '/own.pem', sslmode: 'verify-full' });
  expect(withCaFile('postgresql://db/x', undefined)).toBe('postgresql://db/x');
});

it('refuses a CA file that is not there, and a retention out of range, naming the variables', () => {
  expect(() => loadConfig({ DATABASE_CA_FILE: '/nonexistent/ca.pem', REDIS_CA_FILE: '/nonexistent/r.pem', FAILED_JOB_RETENTION_DAYS: '0' }, defaults)).toThrow(ConfigError);
  try {
    loadConfig({ DATABASE_CA_FILE: '/nonexistent/ca.pem', REDIS_CA_FILE: '/nonexistent/r.pem', FAILED_JOB_RETENTION_DAYS: '0' }, defaults);
  } catch (err) {
    expect((err as Error).message).toMatch(/DATABASE_CA_FILE: no such file/);
    expect((err as Error).message).toMatch(/REDIS_CA_FILE: no such file/);
    expect((err as Error).message).toMatch(/FAILED_JOB_RETENTION_DAYS/);
  }
});
