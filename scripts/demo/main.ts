// pnpm demo: the whole system on this machine, fed a realistic stream, ending with a leaderboard.
//   1. checks Redis, Postgres and the sidecar ports; resets the demo database (DATABASE_URL,
//      default vaults_demo) and the demo's queues (prefix DEMO_QUEUE_PREFIX, default "demo");
//   2. migrates, starts the four workers as processes (as `pnpm start` does), waits for /readyz;
//   3. replays a seeded stream through the shared Producer, showing progress, until drained;
//   4. prints the leaderboard from the database, checks the database against the reference
//      model, and where to look. DEMO_KEEP=1 keeps the workers up until Ctrl-C.
// Sizes: DEMO_VAULTS (8), DEMO_FOLLOWERS (300), DEMO_TRADES (5000); DEMO_SEED (42) fixes the stream
// (addresses, hashes, amounts, order); its block timestamps end at the time of the run, a block
// every DEMO_BLOCK_SECONDS (360: the 5,000 trades span about four weeks, so the leaderboard's
// 24 h / 7 d / all-time returns differ). It also writes the share-price chart of the top vaults.
import { Producer, createRedis, redactUrl, type QueueKey } from '@vaults/shared';
import { migrate } from '../migrate';
import { fmt, replay, Status } from './replay';
import { formatLeaderboard, readLeaderboard, scrapeJobCounters, verify } from './report';
import { showSeriesChart } from './series-chart';
import { generateStream } from './stream';
import {
  DemoError,
  WORKERS,
  checkPortsFree,
  checkPostgres,
  checkRedis,
  dropDemoDatabase,
  startWorker,
  stopWorker,
  waitReady,
  type Worker,
} from './system';

const QUEUES: QueueKey[] = ['vault', 'trade', 'follower', 'snapshot'];

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new DemoError(`${name} must be an integer in ${min}..${max} (got "${raw}")`);
  return n;
}

const settings = () => ({
  databaseUrl: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/vaults_demo',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix: process.env.DEMO_QUEUE_PREFIX || 'demo',
  seed: process.env.DEMO_SEED || '42',
  vaults: intEnv('DEMO_VAULTS', 8, 1, 500),
  followers: intEnv('DEMO_FOLLOWERS', 300, 0, 200_000),
  trades: intEnv('DEMO_TRADES', 5000, 0, 2_000_000),
  blockSeconds: intEnv('DEMO_BLOCK_SECONDS', 360, 1, 86_400),
  keep: ['1', 'true'].includes(process.env.DEMO_KEEP ?? ''),
  workerLogLevel: process.env.DEMO_LOG_LEVEL || 'warn',
});

const status = new Status();
const say = (line = '') => status.print(line);
let workers: Worker[] = [];
let stopping: Promise<boolean> | undefined;

/** SIGTERM to each worker, then wait for each to exit; true when all exited 0. */
function stopAll(): Promise<boolean> {
  return (stopping ??= (async () => {
    if (!workers.length) return true;
    say(`[demo] stopping the workers (SIGTERM)…`);
    const results = await Promise.all(workers.map(stopWorker));
    const bad = results.filter((r) => r.code !== 0);
    say(bad.length ? `[demo] workers exited: ${results.map((r) => `${r.name} ${r.signal ?? r.code}`).join(', ')}` : `[demo] all four workers stopped cleanly (exit 0)`);
    return bad.length === 0;
  })());
}

async function main(): Promise<number> {
  const began = Date.now();
  const s = settings();
  say(`[demo] seed ${s.seed}: ${s.vaults} vaults, ${fmt(s.followers)} followers, ${fmt(s.trades)} trades`);
  say(`[demo] database ${redactUrl(s.databaseUrl)} (reset for this run) · redis ${redactUrl(s.redisUrl)} · queue prefix "${s.prefix}" (reset too)`);

  await checkRedis(s.redisUrl);
  await checkPostgres(s.databaseUrl);
  await checkPortsFree();

  const stream = generateStream({ ...s, endTimestamp: Math.floor(began / 1000) });
  const c = stream.counts;
  say(
    `[demo] stream: ${fmt(stream.history.length)} on-chain events (${c.deploys} deploys, ${fmt(c.trades)} trades, ${fmt(c.deposits)} deposits, ` +
      `${fmt(c.withdrawals)} withdrawals) → ${fmt(stream.sends.length)} jobs, with ${fmt(c.duplicates)} re-sent duplicates, ` +
      `${fmt(c.removals)} removals (${c.removalsBeforeOriginal} before their original), and ${c.lateDeploys} vaults whose deploy comes late ` +
      `(${fmt(c.sentBeforeDeploy)}+ events before it)`,
  );

  await dropDemoDatabase(s.databaseUrl);
  await migrate({ databaseUrl: s.databaseUrl, createDatabase: true });

  const connection = createRedis(s.redisUrl, 'fail-fast');
  connection.on('error', (err: Error) => say(`[demo] redis: ${err.message}`));
  const producer = new Producer({ connection, prefix: s.prefix });
  try {
    for (const q of QUEUES) await producer.queue(q).obliterate({ force: true });

    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: s.databaseUrl, REDIS_URL: s.redisUrl, QUEUE_PREFIX: s.prefix, LOG_LEVEL: s.workerLogLevel };
    delete env.METRICS_PORT; // each worker keeps its own default port (9101-9104)
    delete env.HEALTH_PORT;
    const startedAt = Date.now();
    if (interrupted) return 130;
    workers = WORKERS.map((w) => startWorker(w.name, w.port, env, say));
    for (const w of workers) {
      void w.exited.then(({ code, signal }) => {
        if (!stopping) say(`[demo] ${w.name} exited unexpectedly (${signal ?? code})`);
      });
    }
    await Promise.all(workers.map((w) => waitReady(w, 60_000)));
    say(`[demo] four workers ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (/readyz 200 on ports ${WORKERS.map((w) => w.port).join(', ')})`);

    const result = await replay(producer, stream, status, 120_000);
    const dead = workers.filter((w) => w.child.exitCode !== null || w.child.signalCode !== null);
    if (dead.length) throw new DemoError(`worker(s) died during the run: ${dead.map((w) => w.name).join(', ')}`);

    const counters = await scrapeJobCounters(WORKERS.map((w) => w.port));
    if (counters) {
      const parts = Object.entries(counters).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${fmt(n)}`);
      say(`[demo] the workers' /metrics: jobs ${parts.join(', ')}`);
    }
    const failedTotal = QUEUES.reduce((n, q) => n + result.failed[q], 0);
    if (failedTotal) {
      say(`[demo] ${failedTotal} job(s) failed; first reasons:`);
      for (const q of QUEUES) {
        for (const job of await producer.queue(q).getFailed(0, 4)) say(`  ${q} ${job.name} ${job.id}: ${job.failedReason}`);
      }
    }

    const rows = await readLeaderboard(s.databaseUrl);
    say();
    say(`Leaderboard (from the database, by ROI; ROI and drawdown are time-weighted, share-price based):`);
    say();
    say(formatLeaderboard(rows));
    say();
    await showSeriesChart(s.databaseUrl, 'demo', say);

    const diffs = await verify(s.databaseUrl, stream.sends.map((x) => x.event));
    if (diffs.length === 0) say(`✔ database matches the reference model (users, vaults, trades, subscriptions, TVL/ROI/drawdown, the vault series bucket by bucket)`);
    else {
      say(`✘ database differs from the reference model in ${diffs.length} place(s):`);
      for (const d of diffs.slice(0, 20)) say(`  ${d}`);
      if (diffs.length > 20) say(`  … and ${diffs.length - 20} more`);
    }

    say();
    say(`Where to look${s.keep ? ' (workers are running; Ctrl-C stops them)' : ' (run with DEMO_KEEP=1 to keep the workers up and curl these)'}:`);
    for (const w of WORKERS) {
      say(`  ${w.name.padEnd(16)} curl localhost:${w.port}/metrics   curl localhost:${w.port}/healthz   curl localhost:${w.port}/readyz`);
    }
    say(`  queues in a browser: DEMO_QUEUE_PREFIX is "${s.prefix}", so: QUEUE_PREFIX=${s.prefix} BULL_BOARD_LOCAL=true pnpm board  → http://127.0.0.1:3000`);
    say();
    say(`[demo] done in ${((Date.now() - began) / 1000).toFixed(1)} s (events sent and drained in ${result.seconds.toFixed(1)} s)`);

    if (s.keep) await new Promise<void>((resolve) => (waitForCtrlC = resolve));
    const clean = await stopAll();
    return diffs.length === 0 && failedTotal === 0 && clean ? 0 : 1;
  } finally {
    await producer.close().catch(() => undefined);
    connection.disconnect();
  }
}

let interrupted = false;
let waitForCtrlC: (() => void) | undefined;
const onSignal = () => {
  if (waitForCtrlC) return waitForCtrlC(); // DEMO_KEEP=1, after the report: the normal way out
  if (interrupted) {
    // A second Ctrl-C: do not wait for the workers' graceful shutdown.
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    process.exit(130);
  }
  interrupted = true;
  status.end();
  say('[demo] interrupted (Ctrl-C again to stop at once)');
  void stopAll().then(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main().then(
  (code) => process.exit(code),
  async (err) => {
    status.end();
    say(err instanceof DemoError ? `[demo] ${err.message}` : `[demo] failed: ${(err as Error).stack ?? err}`);
    await stopAll();
    process.exit(1);
  },
);
