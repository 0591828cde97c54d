import { QUEUES } from '@vaults/shared';
import { describeFlood, floodNames, floodProblems } from '../lib/name-flood';
import { Stage, checkRow, type Infra, type Row } from '../lib/scenario';

/**
 * A producer sends 20,000 jobs (x scale) with distinct made-up names to the trade queue while
 * /metrics is scraped back to back. The worker runs with the image's heap cap: its series count
 * must stay bounded (labels only from closed sets) and it must stay alive.
 */
export async function nameFlood(infra: Infra): Promise<Row> {
  const stage = await Stage.open('8 job-name flood, /metrics scraped', infra);
  try {
    const worker = await stage.fleet.spawn('trade-worker', { NODE_OPTIONS: '--max-old-space-size=128 --max-semi-space-size=16' });
    await worker.ready();
    worker.sampleRss(50);
    const r = await floodNames({
      worker,
      redisUrl: infra.redis.url(),
      prefix: stage.prefix,
      queue: QUEUES.trade.name,
      names: 20_000 * infra.scale,
      timeoutMs: 180_000,
    });
    const peak = Math.max(r.peakRssMb, Math.round(worker.peakRssKb / 1024));
    await stage.close();
    return checkRow(stage.name, floodProblems(r), [describeFlood({ ...r, peakRssMb: peak })]);
  } catch (err) {
    await stage.close().catch(() => undefined);
    throw err;
  }
}
