import { Stage, heldBy, type Infra, type Row } from '../lib/scenario';
import { openTransactions } from '../lib/pgactivity';
import { sleep } from '../lib/util';
import { generate } from '../lib/workload';
import { FAULT_DEFAULTS, type ServiceName } from '../lib/workers';
import { serviceInfo, type QueueKey } from '@vaults/shared';

const QUEUE_OF = (service: ServiceName): QueueKey => serviceInfo(service)!.queue;

/**
 * 1. kill -9 of each worker in the middle of load. Each worker is killed while it has jobs
 * active and, for the batching writers, while one of its transactions is open (seen in
 * pg_stat_activity through the process's own sockets): a batch dies between BEGIN and COMMIT.
 * A new process is started at once (as a supervisor would); the dead one's jobs come back
 * after the lock expires (LOCK_DURATION_MS) and must be applied exactly once.
 */
export async function killNine(infra: Infra): Promise<Row> {
  // Batches wait a little longer, so that a kill finds jobs pending in the batcher too.
  const stage = await Stage.open('1 kill -9 each worker mid-load', infra, { BATCH_MAX_WAIT_MS: '30' });
  try {
    await stage.fleet.start();
    const w = generate({ seed: infra.seed + 1, vaults: 30 * infra.scale, eventsPerVault: 70 });
    const sending = stage.deliver(w.deliveries, w.deliveries.length / 18);
    const order: ServiceName[] = ['trade-worker', 'follower-worker', 'snapshot-worker', 'vault-worker'];
    // Deploys come early in the stream: a burst of new vaults keeps the vault worker busy when its turn comes.
    const lateVaults = generate({ seed: infra.seed + 10, vaults: 150, eventsPerVault: 1 }).events.filter((e) => e.type === 'deploy');
    const extra: Promise<void>[] = [];
    const replacements: Promise<void>[] = [];
    await sleep(1500);
    for (const service of order) {
      const victim = stage.fleet.live(service)[0]!;
      if (service === 'vault-worker') extra.push(stage.deliver(lateVaults));
      const q = stage.watch.queue(QUEUE_OF(service));
      let active = 0;
      let openTx = 0;
      const deadline = Date.now() + 6000;
      // Wait for a moment when it is mid-work: jobs active and (for the writers) a transaction open.
      for (;;) {
        active = (await q.getJobCounts('active')).active ?? 0;
        openTx = await openTransactions(stage.databaseUrl, victim.pid, infra.pg.port);
        const busy = openTx > 0 && (active > 0 || service === 'snapshot-worker');
        if (busy || Date.now() > deadline) break;
        await sleep(5);
      }
      victim.kill('SIGKILL');
      const exit = await victim.exited;
      stage.notes.push(`${service}: SIGKILL with ${active} job(s) active, ${openTx} transaction(s) open (exit signal ${exit.signal})`);
      stage.check(openTx > 0, `${service} could not be caught mid-transaction (active ${active}, open transactions ${openTx})`);
      await sleep(300);
      // The replacement starts beside the next kill: on a busy machine (FAULTS_NOISE) a start-up
      // under tsx takes long enough that, waited for, the stream was over before the next victim
      // had work to be caught in.
      replacements.push(stage.fleet.spawn(service).then((fresh) => fresh.ready()));
      await sleep(1000);
    }
    await Promise.all(replacements);
    stage.markFaultEnd();
    await sending;
    await Promise.all(extra);
    const row = await stage.finish({ stallBound: heldBy(order, 'each killed worker held at most its concurrency') });
    row.notes.unshift(`LOCK_DURATION_MS ${FAULT_DEFAULTS.LOCK_DURATION_MS}: stalled jobs come back within ~2x that of a kill`);
    if (row.stalled === 0) {
      row.problems.push('no job came back through the stall check: the kills did not hit active jobs');
      row.passed = false;
    }
    return row;
  } catch (err) {
    await stage.close().catch(() => undefined);
    throw err;
  }
}
