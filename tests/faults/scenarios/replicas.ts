import { Stage, type Infra, type Row } from '../lib/scenario';
import { generate } from '../lib/workload';

/**
 * 5. Two replicas of each worker at once (as Kubernetes scales them), fed as fast as the
 * indexer can add: the replicas race for the same vaults, pairs and identities (a duplicate
 * and its original often run at the same moment on two processes).
 */
export async function twoReplicas(infra: Infra): Promise<Row> {
  const stage = await Stage.open('5 two replicas of each worker', infra);
  try {
    await stage.fleet.start(undefined, 2);
    // Fewer vaults, more events each, higher duplicate rate: the most contention per key.
    const wl = generate({ seed: infra.seed + 5, vaults: 12 * infra.scale, eventsPerVault: 150, dupRate: 0.3 });
    await stage.deliver(wl.deliveries);
    const row = await stage.finish();
    row.notes.push(`${stage.fleet.all.length} worker processes`);
    return row;
  } catch (err) {
    await stage.close().catch(() => undefined);
    throw err;
  }
}
