// pnpm test:faults — the fault suite (docs/FAULTS.md). Starts a Redis and a Postgres of its own,
// runs each scenario against the real worker processes, prints the figures table, and exits
// non-zero if any scenario broke a guarantee. FAULTS_SCALE=n multiplies the load;
// FAULTS_ONLY=kill,redis runs the scenarios whose name contains one of the words;
// FAULTS_SEED=n changes the generated streams.
import { noiseFromEnv, startNoise } from '@vaults/testkit';
import { PgCluster, RedisServer } from './lib/servers';
import { crashedRow, formatTable, type Infra, type Row } from './lib/scenario';
import { seconds } from './lib/util';
import { LIVE_PROCESSES } from './lib/workers';
import { baseline } from './scenarios/baseline';
import { killNine } from './scenarios/kill';
import { redisRestart } from './scenarios/redis';
import { postgresRestart } from './scenarios/postgres';
import { sigtermRolling } from './scenarios/sigterm';
import { twoReplicas } from './scenarios/replicas';
import { lateAndReordered } from './scenarios/reorder';
import { hostileInput } from './scenarios/hostile';
import { nameFlood } from './scenarios/name-flood';
import { supervisorKilled } from './scenarios/supervisor';
import { PG_PASSWORD, SECRET_ROLE, secretsCheck } from './security/secrets';
import { sqlStaticCheck } from './security/sql-static';

type Scenario = { name: string; run(infra: Infra): Promise<Row | Row[]> };

const SCENARIOS: Scenario[] = [
  { name: 'baseline', run: baseline },
  { name: 'kill', run: killNine },
  { name: 'redis', run: redisRestart },
  { name: 'postgres', run: postgresRestart },
  { name: 'sigterm', run: sigtermRolling },
  { name: 'replicas', run: twoReplicas },
  { name: 'reorder', run: lateAndReordered },
  { name: 'hostile', run: hostileInput },
  { name: 'flood', run: nameFlood },
  { name: 'supervisor', run: supervisorKilled },
  { name: 'secrets', run: secretsCheck },
  { name: 'sql', run: async () => sqlStaticCheck() },
];

async function main(): Promise<number> {
  const t0 = Date.now();
  const scale = Math.max(1, Number(process.env.FAULTS_SCALE ?? 1));
  const seed = Number(process.env.FAULTS_SEED ?? 20261127);
  const only = process.env.FAULTS_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  const chosen = only ? SCENARIOS.filter((s) => only.some((o) => s.name.includes(o))) : SCENARIOS;

  log(`fault suite: scale ${scale}, seed ${seed}, ${chosen.length} scenario(s)`);
  const redis = await RedisServer.start();
  const pg = await PgCluster.start({ passwordRole: { name: SECRET_ROLE, password: PG_PASSWORD } });
  // FAULTS_NOISE=n: n busy processes beside the suite for its whole run (a noisy neighbour).
  const noise = startNoise(noiseFromEnv('FAULTS_NOISE'));
  if (noise.count) log(`noisy neighbour: ${noise.count} busy process(es), pids ${noise.pids.join(', ')}`);
  log(`own servers: redis-server on 127.0.0.1:${redis.port} (appendonly, appendfsync always, noeviction), postgres 15 on 127.0.0.1:${pg.port}`);
  const infra: Infra = { redis, pg, scale, seed };
  // An interrupted run leaves nothing behind: worker processes, redis-server, the cluster.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const w of LIVE_PROCESSES) w.kill('SIGKILL');
      void Promise.allSettled([redis.destroy(), pg.destroy(), noise.stop()]).finally(() => process.exit(130));
    });
  }
  const rows: Row[] = [];
  try {
    for (const s of chosen) {
      const ts = Date.now();
      log(`--- ${s.name}`);
      let out: Row[];
      try {
        const r = await s.run(infra);
        out = Array.isArray(r) ? r : [r];
      } catch (err) {
        out = [crashedRow(s.name, err)];
      }
      for (const r of out) {
        rows.push(r);
        log(`${r.passed ? 'PASS' : 'FAIL'} ${r.scenario} (${seconds(Date.now() - ts)} s)`);
        for (const p of r.problems) log(`  problem: ${p}`);
        for (const n of r.notes) log(`  note: ${n}`);
      }
      // A scenario that stopped a server must not leave it stopped for the next one.
      if (!redis.running) await redis.start();
    }
  } finally {
    await redis.destroy().catch(() => undefined);
    await pg.destroy().catch(() => undefined);
    await noise.stop();
  }
  const passed = rows.filter((r) => r.passed).length;
  console.log(`\n${formatTable(rows)}\n`);
  console.log(`total time ${seconds(Date.now() - t0)} s`);
  console.log(`${passed} passed, ${rows.length - passed} failed`);
  return rows.length - passed === 0 ? 0 : 1;
}

function log(line: string): void {
  console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
