import type { AnyEvent } from '@vaults/testkit';
import { EVENT_QUEUES } from '../lib/driver';
import { Stage, type Infra, type Row } from '../lib/scenario';
import { sleep } from '../lib/util';
import { generate, identityOf, int, prng } from '../lib/workload';

const ATTEMPTS = 12;

/**
 * 6. Late and reordered events. The stream is delivered backwards (latest first): every trade
 * and follower event before its vault's deploy, withdrawals before their deposits; removals
 * arrive before and after their events (and some with no event at all); the deploys come last,
 * half of them 3 s later still. A few events belong to vaults that never appear: they must end
 * in the failed set after their attempts, naming the unknown vault, and create nothing.
 */
export async function lateAndReordered(infra: Infra): Promise<Row> {
  const stage = await Stage.open('6 late and reordered events', infra, { RETRY_MAX_ATTEMPTS: String(ATTEMPTS) });
  try {
    await stage.fleet.start();
    const r = prng(infra.seed + 6);
    const wl = generate({ seed: infra.seed + 6, vaults: 25 * infra.scale, eventsPerVault: 60, deployRemoveRate: 0 });
    const deploys = wl.events.filter((e) => e.type === 'deploy');
    const rest = wl.events.filter((e) => e.type !== 'deploy').reverse();

    const early: AnyEvent[] = [];
    let removalsBefore = 0;
    let removalsAfter = 0;
    let removalsAlone = 0;
    for (const e of rest) {
      const x = r();
      if (x < 0.06) {
        early.push({ ...e, removed: true }, e); // the removal first
        removalsBefore++;
      } else if (x < 0.12) {
        early.push(e, { ...e, removed: true }); // the removal after
        removalsAfter++;
      } else if (x < 0.14) {
        early.push({ ...e, removed: true }); // a removal whose event never comes
        removalsAlone++;
      } else early.push(e);
      if (r() < 0.15) early.splice(int(r, 0, early.length), 0, { ...e }); // a duplicate, anywhere
    }
    // Deploys: some removed by a re-organisation, the removal before or after the deploy.
    const deployWave = (ds: AnyEvent[]) =>
      ds.flatMap((d) => {
        const x = r();
        return x < 0.05 ? [{ ...d, removed: true }, d] : x < 0.1 ? [d, { ...d, removed: true }] : [d];
      });
    const half = Math.ceil(deploys.length / 2);

    // Events of vaults that never appear.
    const orphans = generate({ seed: infra.seed + 66, vaults: 3, eventsPerVault: 4 }).events.filter((e) => e.type !== 'deploy');

    // Withdrawals delivered before a deposit of the same pair (the point of the reversal).
    const firstSeen = new Map<string, string>();
    for (const e of early) if (e.type === 'follower') {
      const pair = `${e.vaultAddress.toLowerCase()}:${e.followerAddress.toLowerCase()}`;
      if (!firstSeen.has(pair)) firstSeen.set(pair, e.action);
    }
    const withdrawFirst = [...firstSeen.values()].filter((a) => a === 'WITHDRAW').length;

    await stage.deliver([...orphans, ...early]);
    await stage.deliver(deployWave(deploys.slice(0, half)));
    await sleep(3000);
    await stage.deliver(deployWave(deploys.slice(half)));

    const row = await stage.finish({ allowedFailures: orphans.length, drainTimeoutMs: 180_000 });
    // The failed jobs are exactly the orphans, each for its unknown vault.
    const orphanIds = new Set(orphans.map(identityOf));
    let orphanFailures = 0;
    for (const k of EVENT_QUEUES) {
      for (const j of stage.jobsAtEnd.get(k) ?? []) {
        if (!j.failedReason) continue;
        const ok = orphanIds.has(identityOf(j.data as AnyEvent)) && /not known yet/.test(j.failedReason);
        if (ok) orphanFailures++;
        else row.problems.push(`unexpected failure ${k}/${j.name}: ${j.failedReason.slice(0, 160)}`);
      }
    }
    if (orphanFailures !== orphans.length) row.problems.push(`${orphanFailures} of ${orphans.length} orphan events failed naming the unknown vault`);
    row.passed &&= row.problems.length === 0;
    row.notes.push(
      `${rest.length} trade/follower events sent before their deploy; ${withdrawFirst} (follower, vault) pairs whose first event was a withdrawal; ` +
        `removals before ${removalsBefore}, after ${removalsAfter}, alone ${removalsAlone}; half the deploys 3 s late; ` +
        `${orphans.length} events of vaults that never appear failed after ${ATTEMPTS} attempts`,
    );
    return row;
  } catch (err) {
    await stage.close().catch(() => undefined);
    throw err;
  }
}

