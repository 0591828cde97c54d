import { generate } from '../lib/workload';
import { Stage, type Infra, type Row } from '../lib/scenario';

/** No fault: the yardstick for the others (and a check that the suite itself is sound). */
export async function baseline(infra: Infra): Promise<Row> {
  const stage = await Stage.open('0 baseline (no fault)', infra);
  try {
    await stage.fleet.start();
    const w = generate({ seed: infra.seed, vaults: 20 * infra.scale, eventsPerVault: 60 });
    const t0 = Date.now();
    await stage.deliver(w.deliveries);
    const row = await stage.finish();
    row.notes.push(`delivered ${w.deliveries.length} jobs in ${Date.now() - t0} ms end to end`);
    return row;
  } catch (err) {
    await stage.close().catch(() => undefined);
    throw err;
  }
}
