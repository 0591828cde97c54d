import type { LocalCluster } from '@vaults/testkit';
import { generate } from '../faults/lib/workload';
import { sleep } from '../faults/lib/util';
import { sql } from '../faults/lib/measure';
import type { Checks } from './checks';
import { ClusterStage } from './stage';

// Fail-over under load: SIGKILL the master that holds TradeProcessingQueue while the indexer
// sends; its replica is promoted (cluster-node-timeout 2 s); the workers must reconnect without a
// restart and the stream drain. Replication is asynchronous, so adds the old master acknowledged
// may be gone: the database is compared with the reference model before and after the indexer
// re-sends from a cursor before the kill (effects are idempotent, so re-sending is safe).

export interface FailoverResult {
  killedPort: number;
  promotedMs: number;
  tradesResumedMs: number;
  drainedAfterLastSendMs: number;
  failedAdds: number;
  lostBeforeResend: number;
  resent: number;
}

export async function failover(cluster: LocalCluster, checks: Checks, seed: number, rate = 300): Promise<FailoverResult> {
  const stage = await ClusterStage.open(cluster, { LOCK_DURATION_MS: '3000', RETRY_BASE_DELAY_MS: '100', RETRY_MAX_DELAY_MS: '1000' });
  try {
    const workers = await stage.fleet.start();
    const { deliveries } = generate({ seed, vaults: 10, eventsPerVault: 200, dupRate: 0.05, removeRate: 0.02, deployRemoveRate: 0 });
    const [tradeKey] = stage.placement(['TradeProcessingQueue']);
    const killedPort = tradeKey!.master;
    const tradeRows = async () => Number((await sql<{ n: number }>(stage.db.url, 'SELECT count(*)::int AS n FROM "TradeEvent"'))[0]!.n);

    const sending = stage.deliver(deliveries, rate);
    await sleep(Math.min(3000, (deliveries.length / rate) * 300)); // about a third of the stream
    const sentAtKill = stage.driver.sent;
    const killedAt = Date.now();
    await cluster.kill(killedPort);
    log(`  killed master 127.0.0.1:${killedPort} (holds TradeProcessingQueue) after ${sentAtKill} of ${deliveries.length} events`);

    // Promotion: another node serves the slot. Then trade effects resume (rows grow again).
    let promotedAt = 0;
    while (!promotedAt) {
      try {
        if (cluster.masterOfKey(tradeKey!.slotKey) !== killedPort) promotedAt = Date.now();
      } catch {
        // the slot has no master for a moment
      }
      if (!promotedAt) await sleep(50);
      if (Date.now() - killedAt > 60_000) throw new Error('no replica was promoted within 60 s');
    }
    const atPromotion = await tradeRows();
    let resumedAt = 0;
    while (!resumedAt) {
      if ((await tradeRows()) > atPromotion) resumedAt = Date.now();
      else await sleep(50);
      if (Date.now() - killedAt > 120_000) throw new Error('trade effects did not resume within 120 s of the kill');
    }
    await sending;
    const lastSend = Date.now();
    const drainedAt = await stage.watch.drained(180_000);
    const before = await stage.compare();

    // The indexer re-sends from its cursor: every event from a while before the kill on.
    const cursor = Math.max(0, sentAtKill - rate); // one second of events before the kill
    const resend = deliveries.slice(cursor);
    await stage.deliver(resend);
    await stage.watch.drained(180_000);
    const after = await stage.compare();

    const result: FailoverResult = {
      killedPort,
      promotedMs: promotedAt - killedAt,
      tradesResumedMs: resumedAt - killedAt,
      drainedAfterLastSendMs: Math.max(0, drainedAt - lastSend),
      failedAdds: stage.driver.errors.length,
      lostBeforeResend: before.lost,
      resent: resend.length,
    };
    const survived = workers.every((w) => w.alive) && stage.fleet.all.length === workers.length;
    const ready = await Promise.all(workers.map(async (w) => (await w.get('/readyz')).status === 200));
    checks.add(
      'fail-over: replica promoted, workers reconnected without a restart and are ready',
      survived && ready.every(Boolean),
      `master :${killedPort} killed; replica promoted after ${(result.promotedMs / 1000).toFixed(1)} s; trade effects resumed ${(result.tradesResumedMs / 1000).toFixed(1)} s after the kill; ` +
        `${result.failedAdds} adds refused during the fail-over (the indexer retried them); drained ${(result.drainedAfterLastSendMs / 1000).toFixed(1)} s after the last send`,
    );
    checks.add(
      'fail-over: after the indexer re-sends from its cursor, drained database = reference model',
      after.diff.length === 0 && after.expected > 0,
      `before the re-send: ${before.expected} effects expected, ${before.found} found, ${before.lost} lost, ${before.doubled} doubled, ${before.wrong} wrong (vault metrics may lag a lost snapshot request); ` +
        `re-sent ${resend.length} events from a cursor ${sentAtKill - cursor} events before the kill; after: lost ${after.lost}, doubled ${after.doubled}, wrong ${after.wrong}` +
        (after.diff.length ? `; e.g. ${after.diff.slice(0, 3).join(' | ')}` : ''),
    );
    return result;
  } finally {
    if (stage.fleet.all.some((w) => !w.alive)) log(stage.fleet.tail(5));
    await stage.close();
  }
}

const log = (m: string) => process.stdout.write(m + '\n');
