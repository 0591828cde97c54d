import { Client } from 'pg';
import type { AnyEvent } from '@vaults/testkit';
import { enqueueBurst } from './enqueue';
import { compileWorkers } from './compile';
import { EventFactory } from './events';
import { startWorkers, stopWorkers, WORKERS } from './processes';
import { countRows, drained, snapshotsRun, type Rig } from './rig';
import type { Session } from './session';
import type { Settings } from './settings';
import { pollUntil } from './stats';

// The system brought up for the pipeline phases: the four worker processes on the session's
// database and prefix, the vaults deployed through the vault worker, and a short warm-up
// (JIT, connection pools, tsx's compile cache) that is delivered but not measured.

export interface System {
  rig: Rig;
  /** Generates every event the workers see, so positions keep increasing per vault. */
  factory: EventFactory;
  /** Everything delivered so far: the reference model's input. */
  delivered: AnyEvent[];
  stop(): Promise<void>;
}

export async function startSystem(s: Session, settings: Settings, log: (m: string) => void): Promise<System> {
  for (const w of settings.workers) if (!(WORKERS as readonly string[]).includes(w)) throw new Error(`unknown worker ${w}`);
  for (const w of ['vault-worker', 'trade-worker', 'follower-worker']) if (!settings.workers.includes(w)) throw new Error(`the bench needs ${w}`);
  log(`starting ${settings.workers.join(', ')}${settings.compiled ? ' (compiled)' : ' (tsx)'}${Object.keys(settings.workerEnv).length ? ` with ${JSON.stringify(settings.workerEnv)}` : ''}`);
  const compiled = settings.compiled ? await compileWorkers(settings.workers) : undefined;
  const workers = await startWorkers(settings.workers, { DATABASE_URL: s.db.url, REDIS_URL: s.redisUrl, QUEUE_PREFIX: s.prefix, ...settings.workerEnv }, compiled);
  const sampler = new Client({ connectionString: s.db.url });
  const stop = async () => {
    await stopWorkers(workers);
    await sampler.end().catch(() => undefined);
  };
  try {
    await sampler.connect();
    const rig: Rig = { s, workers, sampler };
    const factory = new EventFactory(settings.vaults, settings.followers);
    const delivered: AnyEvent[] = [];

    log(`${settings.vaults} vaults through the vault worker`);
    const deploys = factory.deploys();
    delivered.push(...deploys);
    await enqueueBurst(s.queue('vault'), deploys, settings.chunk);
    await pollUntil(async () => (await countRows(rig, 'Vault')) === settings.vaults, 60_000, 'vaults');

    const warm = Math.min(1000, Math.floor(settings.events / 10));
    log(`warm-up: ${warm} trades, ${warm} follower events (not measured)`);
    const trades = factory.trades(warm);
    const followers = factory.followerEvents(warm);
    delivered.push(...trades, ...followers);
    await enqueueBurst(s.queue('trade'), trades, settings.chunk);
    await enqueueBurst(s.queue('follower'), followers, settings.chunk);
    await drained(rig, snapshotsRun(rig) ? ['trade', 'follower', 'snapshot'] : ['trade', 'follower'], 120_000);
    return { rig, factory, delivered, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
