import { toJob, type AnyEvent } from '@vaults/testkit';
import { replay, send, Status } from '../../../scripts/demo/replay';
import { verify } from '../../../scripts/demo/report';
import { generateStream } from '../../../scripts/demo/stream';
import { baseObjects, find } from '../../deploy/support/repo';
import { exec, startContainer, state, stopContainer, waitReady } from '../lib/containers';
import { check, expectThat } from '../lib/report';
import { waitFor } from '../lib/sh';
import { GRACE_SECONDS, drain, pending, type System } from '../lib/system';
import type { Prometheus } from '../lib/prometheus';

// Checks on the running worker containers: ready, hardened, the demo's stream replayed to the
// reference model, the KEDA query against a real backlog, SIGTERM with jobs in flight.

/** Every event this run delivered, for the reference model. */
export const delivered: AnyEvent[] = [];

export async function readinessChecks(sys: System): Promise<boolean> {
  let ok = true;
  for (const w of sys.workers) {
    ok = (await check(`${w.service}: container from ${w.image} ready (/readyz 200 on :${w.port})`, async () => {
      await waitReady(w);
    })) && ok;
  }
  return ok;
}

export async function hardeningChecks(containers: { service: string; name: string }[]): Promise<void> {
  for (const w of containers) {
    await check(`${w.service}: read-only root filesystem, non-root user, no capabilities`, async () => {
      const s = await state(w.name);
      expectThat(s.readOnly, 'root filesystem is writable');
      const uid = (await exec(w.name, ['id', '-u'])).stdout.trim();
      expectThat(uid !== '' && uid !== '0', `runs as uid "${uid}"`);
      const app = await exec(w.name, ['sh', '-c', 'echo x > /app/probe']);
      expectThat(app.code !== 0 && /Read-only file system/.test(app.stderr), `writing to /app: exit ${app.code} ${app.stderr.trim()}`);
      const tmp = await exec(w.name, ['sh', '-c', 'echo x > /tmp/probe && rm /tmp/probe']);
      expectThat(tmp.code === 0, `/tmp is not writable: ${tmp.stderr.trim()}`);
      const caps = (await exec(w.name, ['sh', '-c', 'grep CapEff /proc/1/status'])).stdout.trim();
      expectThat(/CapEff:\s*0+$/.test(caps), `effective capabilities: ${caps}`);
      return `uid ${uid} (image user ${s.user}), /app read-only, /tmp tmpfs, ${caps}`;
    });
  }
}

export async function replayCheck(sys: System): Promise<void> {
  await check("demo stream replayed through the containers: database equals the reference model", async () => {
    const stream = generateStream({ seed: '42', vaults: 8, followers: 300, trades: 5000, endTimestamp: Math.floor(Date.now() / 1000) });
    const result = await replay(sys.producer, stream, new Status(false), 240_000);
    delivered.push(...stream.sends.map((s) => s.event));
    const failed = Object.values(result.failed).reduce((a, b) => a + b, 0);
    expectThat(failed === 0, `${failed} job(s) failed`);
    const diffs = await verify(sys.databaseUrl, delivered);
    expectThat(diffs.length === 0, `${diffs.length} difference(s):\n${diffs.slice(0, 10).join('\n')}`);
    return `${stream.sends.length} jobs (${stream.counts.duplicates} duplicates, ${stream.counts.removals} removals) drained in ${result.seconds.toFixed(1)} s; no difference`;
  });
}

/** The trade-worker ScaledObject's trigger query, as the rendered base has it. */
function kedaQuery(): string {
  return find(baseObjects(), 'ScaledObject', 'trade-worker')!.spec.triggers[0].metadata.query;
}

/**
 * Builds a trade backlog (the queue paused, a second stream sent), checks the KEDA query against
 * it, then resumes the queue and sends SIGTERM to every worker while the trades are in flight.
 */
export async function backlogAndSigtermChecks(sys: System, prom: Prometheus): Promise<void> {
  const trade = sys.producer.queue('trade');
  const stream = generateStream({ seed: '7', vaults: 4, followers: 100, trades: 6000, endTimestamp: Math.floor(Date.now() / 1000) });
  await trade.pause();
  for (let i = 0; i < stream.sends.length; i += 200) await Promise.all(stream.sends.slice(i, i + 200).map((s) => send(sys.producer, s)));
  delivered.push(...stream.sends.map((s) => s.event));
  const trades = stream.sends.filter((s) => toJob(s.event)[0] === 'trade').length;

  await check('KEDA trigger query (trade-worker ScaledObject) returns the real backlog while one is built up', async () => {
    const expr = kedaQuery();
    const counts = await trade.getJobCounts('waiting', 'prioritized');
    const real = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
    expectThat(real >= 1000, `backlog only ${real}`);
    let seen = NaN;
    await waitFor(async () => {
      const r = await prom.query(expr);
      seen = r.length ? Number(r[0]!.value[1]) : NaN;
      return seen === real;
    }, 20_000, `the query to return ${real} (last ${seen})`);
    return `${expr} = ${seen} = waiting + prioritized in Redis (${trades} trades sent to the paused queue)`;
  });

  await trade.resume();
  await check(`SIGTERM with jobs in flight: every worker exits 0 within the ${GRACE_SECONDS} s grace period, and nothing is lost`, async () => {
    await waitFor(async () => (await trade.getActiveCount()) > 0, 30_000, 'trade jobs in flight', 20);
    const inFlight = await pending(sys.producer);
    const stopped = await Promise.all(sys.workers.map(async (w) => ({ w, ...(await stopContainer(w.name, GRACE_SECONDS)) })));
    const bad = stopped.filter((s) => s.exitCode !== 0);
    expectThat(bad.length === 0, bad.map((s) => `${s.w.service} exited ${s.exitCode} after ${s.seconds.toFixed(1)} s`).join(', '));
    const left = await pending(sys.producer);
    // The same containers again (a rolling update's new pods), to finish what is left.
    for (const w of sys.workers) await startContainer(w, w.env);
    for (const w of sys.workers) await waitReady(w);
    await drain(sys.producer, 180_000);
    const diffs = await verify(sys.databaseUrl, delivered);
    expectThat(diffs.length === 0, `${diffs.length} difference(s) after the restart:\n${diffs.slice(0, 10).join('\n')}`);
    const failed = (await trade.getJobCounts('failed')).failed ?? 0;
    expectThat(failed === 0, `${failed} trade job(s) failed`);
    return (
      `pending at SIGTERM ${JSON.stringify(inFlight)}, left after ${JSON.stringify(left)}; ` +
      `exits: ${stopped.map((s) => `${s.w.service} 0 in ${s.seconds.toFixed(1)} s`).join(', ')}; database equals the reference model after the restart`
    );
  });
}
