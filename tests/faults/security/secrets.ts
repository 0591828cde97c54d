import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Driver, QueueWatch } from '../lib/driver';
import { checkRow, type Infra, type Row } from '../lib/scenario';
import { RedisServer } from '../lib/servers';
import { sleep } from '../lib/util';
import { generate } from '../lib/workload';
import { Fleet, ROOT, type WorkerProcess } from '../lib/workers';
import { toJob } from '@vaults/testkit';

export const SECRET_ROLE = 'faults_secret_role';
/** The password of the suite's Postgres role that must log in with one (set at cluster start). */
export const PG_PASSWORD = `pgPw${randomBytes(6).toString('hex')}`;

/**
 * Security: no secret in logs or /metrics. The workers run against a Redis with requirepass
 * and a Postgres role with a scram password, at LOG_LEVEL=trace, through the moments most likely
 * to print a connection string: normal work with bad jobs, a Redis restart (reconnect errors),
 * a wrong Redis password, a wrong database password, an unreachable database, an invalid
 * environment, and the migration script (success and failure). Every line of stdout and
 * stderr, every /metrics, /readyz and /healthz body is searched for each password.
 */
export async function secretsCheck(infra: Infra): Promise<Row> {
  const redisPassword = `rdPw${randomBytes(6).toString('hex')}`;
  const wrongRedis = `rdWrong${randomBytes(6).toString('hex')}`;
  const wrongPg = `pgWrong${randomBytes(6).toString('hex')}`;
  const secrets = [redisPassword, wrongRedis, PG_PASSWORD, wrongPg];
  const redis = await RedisServer.start({ password: redisPassword });
  const problems: string[] = [];
  const notes: string[] = [];
  const texts: { where: string; text: string }[] = [];
  const fleets: Fleet[] = [];
  try {
    const db = `faults_secrets_${randomBytes(3).toString('hex')}`;
    await infra.pg.createDatabase(db);
    const pgUrl = infra.pg.url(db, SECRET_ROLE, PG_PASSWORD);
    const prefix = `{faults-secrets-${randomBytes(3).toString('hex')}}`;
    const trace = { LOG_LEVEL: 'trace' };

    // 1. The real thing: the four workers at trace level, with good and bad jobs.
    const fleet = new Fleet({ DATABASE_URL: pgUrl, REDIS_URL: redis.url(), QUEUE_PREFIX: prefix, ...trace });
    fleets.push(fleet);
    const workers = await fleet.start();
    const driver = new Driver(redis.url(), prefix);
    const watch = new QueueWatch(redis.url(), prefix);
    const wl = generate({ seed: infra.seed + 9, vaults: 3, eventsPerVault: 10 });
    await driver.deliver(wl.deliveries);
    await driver.addRaw('trade', 'TradeExecuted', { ...toJob(wl.events.find((e) => e.type === 'trade')!)[2], pnl: 'oops' });
    await driver.addRaw('follower', 'FollowerSubscribed', { ...toJob(wl.events.find((e) => e.type === 'follower')!)[2], vaultAddress: '0x' + 'e'.repeat(40) });
    await watch.drained(60_000).catch((err) => problems.push(`secrets run did not drain: ${(err as Error).message}`));
    await scrape(workers, 'with passwords', texts);
    // A Redis restart: every client logs reconnect errors.
    await redis.stop('SIGKILL');
    await sleep(1500);
    await scrape(workers, 'while Redis is down', texts);
    await redis.start();
    await sleep(1500);
    await driver.close();
    await watch.close();

    // 2. Wrong passwords, an unreachable database, an invalid environment: one worker each.
    const closedPort = infra.pg.port + 1000;
    const variants: [string, Record<string, string>][] = [
      ['wrong Redis password', { REDIS_URL: redis.url(wrongRedis), DATABASE_URL: pgUrl }],
      ['wrong database password', { REDIS_URL: redis.url(), DATABASE_URL: infra.pg.url(db, SECRET_ROLE, wrongPg) }],
      ['unreachable database', { REDIS_URL: redis.url(), DATABASE_URL: `postgresql://${SECRET_ROLE}:${PG_PASSWORD}@127.0.0.1:${closedPort}/${db}` }],
      ['invalid environment', { REDIS_URL: redis.url(), DATABASE_URL: pgUrl, WORKER_CONCURRENCY: 'many' }],
      ['malformed URL', { REDIS_URL: `redis://:${redisPassword}@127.0.0.1:notaport`, DATABASE_URL: `postgres://${SECRET_ROLE}:${PG_PASSWORD}@[bad` }],
    ];
    const odd: WorkerProcess[] = [];
    for (const [name, env] of variants) {
      const f = new Fleet({ QUEUE_PREFIX: prefix, ...trace, ...(env as { REDIS_URL: string; DATABASE_URL: string }) });
      fleets.push(f);
      const w = await f.spawn('trade-worker');
      (w as WorkerProcess & { variant?: string }).variant = name;
      odd.push(w);
    }
    await sleep(6000);
    await scrape(odd, 'misconfigured', texts, true);
    const states = new Map(odd.map((w) => [w, w.alive ? 'running' : `exited ${w.proc.exitCode ?? w.proc.signalCode}`]));
    for (const f of fleets) await f.stop();
    for (const f of fleets) for (const w of f.all) texts.push({ where: `${w.service} ${(w as { variant?: string }).variant ?? 'with passwords'} (stdout+stderr)`, text: w.lines.join('\n') });

    // 3. The migration script, as a deploy's migration Job runs it.
    for (const [name, url] of [['migrate', pgUrl], ['migrate, wrong password', infra.pg.url(db, SECRET_ROLE, wrongPg)]] as const) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
        cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url, MIGRATE_WITH: 'sql' }, encoding: 'utf8', timeout: 60_000,
      });
      texts.push({ where: name, text: `${r.stdout}\n${r.stderr}` });
      notes.push(`${name}: exit ${r.status}: ${(r.stdout + r.stderr).trim().split('\n').pop()?.slice(0, 140)}`);
    }

    if (process.env.FAULTS_DUMP) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.FAULTS_DUMP, texts.map((t) => `===== ${t.where}\n${t.text}`).join('\n'));
    }
    const lines = texts.reduce((n, t) => n + t.text.split('\n').length, 0);
    for (const { where, text } of texts) {
      for (const secret of secrets) {
        const at = text.indexOf(secret);
        if (at >= 0) problems.push(`a password appears in ${where}: ...${text.slice(Math.max(0, at - 120), at + secret.length + 20).replace(/\s+/g, ' ')}...`);
      }
    }
    const started = workers.length;
    notes.push(`searched ${texts.length} outputs (${lines} lines, ${Math.round(texts.reduce((n, t) => n + t.text.length, 0) / 1024)} KiB) from ${started} workers at trace level and ${variants.length} misconfigured ones, for 4 passwords`);
    // Lines that are not pino JSON: BullMQ's console.error fallback dumps whole error objects.
    const raw = texts
      .filter((t) => t.where.endsWith('(stdout+stderr)'))
      .flatMap((t) => t.text.split('\n').filter((l) => !l.startsWith('{') && /^\S*Error\b.*:/.test(l)).map((l) => `${t.where.split(' (')[0]}: ${l.slice(0, 80)}`));
    if (raw.length) notes.push(`${raw.length} unstructured error dumps (not pino JSON) on stderr, e.g. ${[...new Set(raw)].slice(0, 3).join(' | ')}`);
    const redacted = texts.filter((t) => t.text.includes('***')).map((t) => t.where);
    if (redacted.length) notes.push(`redacted URLs (***) seen in: ${[...new Set(redacted)].slice(0, 4).join('; ')}`);
    const misconfigured = odd.map((w) => {
      const ready = texts.find((t) => t.where === `${w.service} /readyz misconfigured ${w.pid}`)?.text ?? '';
      const said = states.get(w)!.startsWith('running') ? `/readyz ${ready.slice(0, 110)}` : lastMeaningful(w);
      return `${(w as { variant?: string }).variant}: ${states.get(w)} after 6 s; ${said}`;
    });
    notes.push(...misconfigured);
  } catch (err) {
    problems.push(`check crashed: ${(err as Error).stack}`);
  } finally {
    for (const f of fleets) await f.stop().catch(() => undefined);
    await redis.destroy();
  }
  return checkRow('S1 no password in logs or /metrics', problems, notes);
}

async function scrape(workers: WorkerProcess[], when: string, into: { where: string; text: string }[], byPid = false): Promise<void> {
  for (const w of workers) {
    for (const path of ['/metrics', '/readyz', '/healthz']) {
      const r = await w.get(path, 5000).catch((e) => ({ status: -1, body: String(e) }));
      into.push({ where: `${w.service} ${path} ${when}${byPid ? ` ${w.pid}` : ''}`, text: r.body });
    }
  }
}

function lastMeaningful(w: WorkerProcess): string {
  const l = [...w.lines].reverse().find((x) => /error|invalid|fail|must/i.test(x)) ?? w.lines[w.lines.length - 1] ?? '';
  return l.replace(/\s+/g, ' ').slice(0, 160);
}
