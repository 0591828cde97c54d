import { probe, producerAddWhileDown } from '../lib/probes';
import { Stage, checkRow, heldBy, type Infra, type Row } from '../lib/scenario';
import { SERVICES } from '../lib/workers';
import { seconds, sleep, waitFor } from '../lib/util';
import { generate } from '../lib/workload';

const OUTAGE_MS = 6000;

/**
 * 2. Redis stopped during load (SIGKILL: a crash, not a clean shutdown; the AOF with
 * appendfsync always holds every acknowledged write) and started again after several seconds.
 * The workers must reconnect by themselves (same processes), a producer must get a clear error
 * at once while Redis is down, and every effect must land exactly once.
 */
export async function redisRestart(infra: Infra): Promise<Row[]> {
  const stage = await Stage.open('2 Redis down 6 s, restarted', infra);
  try {
    const workers = await stage.fleet.start();
    const pids = workers.map((w) => w.pid);
    const wl = generate({ seed: infra.seed + 2, vaults: 30 * infra.scale, eventsPerVault: 60 });
    const sending = stage.deliver(wl.deliveries, wl.deliveries.length / 16);
    await sleep(4000);

    const downAt = Date.now();
    await infra.redis.stop('SIGKILL');
    await sleep(1500);
    const during = await probe(workers);
    const fresh = await producerAddWhileDown(infra.redis.url(), stage.prefix);
    const driverErrorsBefore = stage.driver.errors.length;
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
    await infra.redis.start();
    stage.markFaultEnd();
    const upAt = Date.now();
    let readyAgainMs: number | undefined;
    await waitFor(async () => (await probe(workers)).ready.every((s) => s === 200), 30_000, 'every worker to be ready again', 200)
      .then(() => (readyAgainMs = Date.now() - upAt))
      .catch((err) => stage.problems.push(`after the restart: ${(err as Error).message}`));
    const outageErrors = stage.driver.errors.filter((e) => e.at >= downAt);

    stage.check(during.ready.every((s) => s === 503), `/readyz while Redis is down: ${during.ready.join(',')} (want 503 on all)`);
    stage.check(during.alive.every((s) => s === 200), `/healthz while Redis is down: ${during.alive.join(',')} (want 200 on all)`);
    stage.check(during.failing.some((f) => f.includes('redis')), `/readyz bodies do not name redis: ${during.failing.join('; ')}`);
    stage.notes.push(`/readyz while down: ${during.ready.join(',')}; /healthz: ${during.alive.join(',')}; failing: ${[...new Set(during.failing.map((f) => f.replace(/^\S+ /, '')))].join(' | ')}; ready again ${readyAgainMs === undefined ? 'never' : `${seconds(readyAgainMs)} s`} after the restart`);

    // The producer's side, as its own row: what an indexer sees while Redis is down.
    const producer: string[] = [];
    const slowest = Math.max(0, ...outageErrors.map((e) => e.tookMs));
    const messages = [...new Set(outageErrors.map((e) => e.message))];
    if (driverErrorsBefore === 0) producer.push('a producer connected before the outage saw no error while Redis was down');
    if (slowest >= 2000) producer.push(`a connected producer's add took ${slowest} ms to fail while Redis was down (want < 2 s)`);
    if (!(fresh.ok && fresh.tookMs < 2000)) {
      producer.push(`a producer created while Redis is down (createRedis(url, 'fail-fast') + Producer): its add gave ${JSON.stringify(fresh.message)} after ${fresh.tookMs} ms (want an error within 2 s)`);
    }
    const producerNotes = [
      `connected producer: ${outageErrors.length} failed adds while down, each within ${slowest} ms: ${messages.slice(0, 3).map((m) => JSON.stringify(m)).join(', ')}`,
      `producer created while down: ${fresh.ok ? `error in ${fresh.tookMs} ms: ${JSON.stringify(fresh.message)}` : fresh.message}`,
    ];

    await sending;
    // Redis away longer than LOCK_DURATION_MS: every job the fleet held may lose its lock.
    const row = await stage.finish({ sameProcesses: workers, stallBound: heldBy(SERVICES, 'Redis was away longer than the lock: every held job may lose it') });
    void pids;
    return [row, checkRow('2b producer errors while Redis is down', producer, producerNotes)];
  } catch (err) {
    if (!infra.redis.running) await infra.redis.start();
    await stage.close().catch(() => undefined);
    throw err;
  }
}
