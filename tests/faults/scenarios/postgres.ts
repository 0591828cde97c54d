import { probe } from '../lib/probes';
import { Stage, type Infra, type Row } from '../lib/scenario';
import { seconds, sleep, waitFor } from '../lib/util';
import { generate } from '../lib/workload';

const OUTAGE_MS = 6000;

/**
 * 3. Postgres stopped during load (pg_ctl stop -m immediate: a crash, recovered from the WAL on
 * restart) and started again after several seconds. Jobs retry with back-off and every effect
 * lands; /readyz says 503 (naming the database) while it is down and /healthz stays 200, so
 * Kubernetes would take the pods out of service without restarting them; the same processes
 * carry on afterwards.
 */
export async function postgresRestart(infra: Infra): Promise<Row> {
  const stage = await Stage.open('3 Postgres down 6 s, restarted', infra);
  try {
    const workers = await stage.fleet.start();
    const wl = generate({ seed: infra.seed + 3, vaults: 30 * infra.scale, eventsPerVault: 60 });
    const sending = stage.deliver(wl.deliveries, wl.deliveries.length / 16);
    await sleep(4000);

    const downAt = Date.now();
    await infra.pg.stop('immediate');
    await sleep(2000);
    const during = await probe(workers);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
    await infra.pg.start();
    stage.markFaultEnd();
    const upAt = Date.now();
    let readyAgainMs: number | undefined;
    await waitFor(async () => (await probe(workers)).ready.every((s) => s === 200), 30_000, 'every worker to be ready again', 200)
      .then(() => (readyAgainMs = Date.now() - upAt))
      .catch((err) => stage.problems.push(`after the restart: ${(err as Error).message}`));

    stage.check(during.ready.every((s) => s === 503), `/readyz while Postgres is down: ${during.ready.join(',')} (want 503 on all)`);
    stage.check(during.alive.every((s) => s === 200), `/healthz while Postgres is down: ${during.alive.join(',')} (want 200 on all)`);
    stage.check(during.failing.filter((f) => / database: /.test(f)).length === workers.length, `/readyz bodies do not all name the database: ${during.failing.join('; ')}`);
    stage.notes.push(
      `/readyz while down: ${during.ready.join(',')}; /healthz: ${during.alive.join(',')}; ` +
        `failing: ${[...new Set(during.failing.map((f) => f.replace(/^\S+ /, '').replace(/\s+/g, ' ').slice(0, 140)))].join(' | ')}; ` +
        `ready again ${readyAgainMs === undefined ? 'never' : `${seconds(readyAgainMs)} s`} after the restart`,
    );
    await sending;
    const row = await stage.finish({ sameProcesses: workers });
    if (row.redelivered === 0) {
      row.problems.push('no job was retried: the outage did not hit the load');
      row.passed = false;
    }
    return row;
  } catch (err) {
    await infra.pg.start().catch(() => undefined);
    await stage.close().catch(() => undefined);
    throw err;
  }
}
