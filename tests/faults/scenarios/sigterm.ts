import { serviceInfo, type QueueKey } from '@vaults/shared';
import { openTransactions } from '../lib/pgactivity';
import { Stage, type Infra, type Row } from '../lib/scenario';
import { seconds, sleep } from '../lib/util';
import { generate } from '../lib/workload';
import type { ServiceName } from '../lib/workers';

const SHUTDOWN_TIMEOUT_MS = 10_000;
const QUEUE_OF = (service: ServiceName): QueueKey => serviceInfo(service)!.queue;

/**
 * 4. SIGTERM during load, as a rolling update does it: for each service a new process is
 * started, then the old one gets SIGTERM. The old one must stop taking jobs, finish its active
 * ones and exit 0 within SHUTDOWN_TIMEOUT_MS; no job it had may be left behind to stall (a
 * stalled job would be redelivered), and the new processes converge on the reference state.
 */
export async function sigtermRolling(infra: Infra): Promise<Row> {
  const stage = await Stage.open('4 SIGTERM mid-load (rolling update)', infra, { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
  try {
    await stage.fleet.start();
    const wl = generate({ seed: infra.seed + 4, vaults: 40 * infra.scale, eventsPerVault: 70 });
    const sending = stage.deliver(wl.deliveries, wl.deliveries.length / 22);
    await sleep(3000);
    // Deploys all come early in the stream; a burst of new vaults keeps the vault worker busy
    // when its turn comes.
    const lateVaults = generate({ seed: infra.seed + 40, vaults: 150, eventsPerVault: 1 }).events.filter((e) => e.type === 'deploy');
    const extra: Promise<void>[] = [];
    for (const service of ['trade-worker', 'follower-worker', 'snapshot-worker', 'vault-worker'] as const) {
      const old = stage.fleet.live(service)[0]!;
      const fresh = await stage.fleet.spawn(service);
      await fresh.ready();
      if (service === 'vault-worker') extra.push(stage.deliver(lateVaults));
      // SIGTERM at a moment when the old process is mid-work: one of its transactions is open.
      let active = 0;
      let openTx = 0;
      // Transactions last a few milliseconds (group commit on node-postgres), so look back to
      // back for a while; the guarantees below are checked whether or not one was caught open.
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        openTx = await openTransactions(stage.databaseUrl, old.pid, infra.pg.port);
        if (openTx > 0) break;
      }
      active = (await stage.watch.queue(QUEUE_OF(service)).getJobCounts('active')).active ?? 0;
      const exit = await old.terminate(SHUTDOWN_TIMEOUT_MS + 20_000);
      if (openTx === 0) stage.notes.push(`${service} (old) was not caught mid-transaction within 15 s: SIGTERM landed between transactions`);
      stage.notes.push(`${service}: SIGTERM with ${openTx} transaction(s) open, ${active} job(s) active in its queue; exit ${exit.code ?? exit.signal} after ${seconds(exit.tookMs)} s`);
      stage.check(exit.code === 0, `${service} exited with ${exit.code ?? exit.signal} after SIGTERM (want 0)`);
      stage.check(exit.tookMs <= SHUTDOWN_TIMEOUT_MS, `${service} took ${exit.tookMs} ms to stop (SHUTDOWN_TIMEOUT_MS ${SHUTDOWN_TIMEOUT_MS})`);
      const abandoned = old.lines.filter((l) => l.includes('did not finish in time'));
      stage.check(!abandoned.length, `${service} abandoned active jobs at shutdown: ${abandoned[0]}`);
      stage.markFaultEnd();
    }
    await sending;
    await Promise.all(extra);
    const row = await stage.finish();
    if (row.stalled > 0) {
      row.problems.push(`${row.stalled} job(s) stalled: a stopped worker left active jobs behind, to be redelivered`);
      row.passed = false;
    }
    return row;
  } catch (err) {
    await stage.close().catch(() => undefined);
    throw err;
  }
}
