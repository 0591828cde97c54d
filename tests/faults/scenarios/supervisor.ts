import { Launch, alive, gone } from '../../supervisor/launch';
import { EVENT_QUEUES } from '../lib/driver';
import { Stage, heldBy, type Infra, type Row } from '../lib/scenario';
import { seconds, sleep, waitFor } from '../lib/util';
import { generate } from '../lib/workload';
import { FAULT_DEFAULTS, SERVICES } from '../lib/workers';

/**
 * 8. `pnpm start` under load: one of its workers is killed (-9) and must be restarted by it, with
 * the restart logged; then pnpm itself is killed (-9), which runs no handler anywhere. Every
 * process of the tree must end (checked by pid) and no worker may stay connected to the queues
 * (an orphan would keep taking jobs); a fresh fleet then drains what is left, and the state must
 * equal the reference model.
 */
export async function supervisorKilled(infra: Infra): Promise<Row> {
  const stage = await Stage.open('9 SIGKILL of pnpm start (the supervisor)', infra);
  let launch: Launch | undefined;
  try {
    launch = new Launch('pnpm', {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...FAULT_DEFAULTS,
      ...stage.fleet.env,
      MIGRATE_WITH: 'sql',
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
    });
    const pids = await launch.ready(SERVICES);
    const supervisor = await launch.supervisorPid();
    const wl = generate({ seed: infra.seed + 8, vaults: 25 * infra.scale, eventsPerVault: 60 });
    const sending = stage.deliver(wl.deliveries, wl.deliveries.length / 14);
    await sleep(2000);

    process.kill(pids['trade-worker']!, 'SIGKILL');
    const restartLine = (await launch.line(/\[start\] trade-worker \(pid \d+\) exited \(SIGKILL\).*restart 1 in [\d.]+ s/))[0];
    const fresh = Number((await launch.line(/\[start\] trade-worker restarted \(pid (\d+)/))[1]);
    await launch.line(new RegExp(`\\[start\\] trade-worker ready \\(pid ${fresh}`));
    stage.notes.push(`restart logged: ${restartLine.replace(/^\[start\] /, '')}`);
    await sleep(2000);

    const tree = [supervisor, fresh, ...SERVICES.filter((s) => s !== 'trade-worker').map((s) => pids[s]!)];
    const t0 = Date.now();
    launch.proc.kill('SIGKILL');
    stage.markFaultEnd();
    await gone(tree, 30_000).catch((err) => stage.problems.push(`${(err as Error).message}: still running ${tree.filter(alive).join(', ')}`));
    stage.notes.push(`SIGKILL of pnpm (pid ${launch.proc.pid}): supervisor and 4 workers gone ${seconds(Date.now() - t0)} s later`);
    // Redis drops a dead process's connections when it reads their end; an orphan's stay.
    let connected = await workersConnected(stage);
    await waitFor(async () => (connected = await workersConnected(stage)) === 0, 15_000, 'no worker connection on the queues', 200).catch(() => undefined);
    stage.check(connected === 0, `${connected} worker connection(s) still on the queues 15 s after the tree died: orphans taking jobs`);

    // What the dead tree left (waiting, and jobs whose locks died with it) goes to a fresh fleet.
    await stage.fleet.start();
    await sending;
    return await stage.finish({ stallBound: heldBy(SERVICES, 'jobs of the killed worker, and of any worker that died before finishing its active jobs') });
  } catch (err) {
    launch?.proc.kill('SIGKILL');
    await stage.close().catch(() => undefined);
    throw err;
  }
}

/** Worker connections on the stage's event and snapshot queues (our own connection left out). */
async function workersConnected(stage: Stage): Promise<number> {
  const own = String(await stage.watch.redis.client('ID'));
  let n = 0;
  for (const k of [...EVENT_QUEUES, 'snapshot' as const]) n += (await stage.watch.queue(k).getWorkers()).filter((w) => w.id !== own).length;
  return n;
}
