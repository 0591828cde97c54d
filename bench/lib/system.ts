import { Client } from 'pg';
import type { AnyEvent } from '@vaults/testkit';
import { enqueueBurst } from './enqueue';
import { compileWorkers } from './compile';
import { EventFactory } from './events';
import { memoryMb } from './probes';
import { startWorkers, stopWorkers } from './processes';
import { countRows, drained, snapshotsRun, type Rig } from './rig';
import type { Session } from './session';
import type { Settings } from './settings';
import { pollUntil } from './stats';
import { currentTree, type Tree } from '../ab/tree';

// The system brought up for the pipeline phases: the four worker processes on the session's
// database and prefix, the vaults deployed through the vault worker, and a short warm-up
// (JIT, connection pools, tsx's compile cache) that is delivered but not measured.
// The A/B run (side.ts) stops a side's workers while the other side runs and starts them again
// later on the same database: `resume` carries the factory and the delivered events over, and
// the vaults are deployed only on the first start; the warm-up runs after every start.

export interface System {
  rig: Rig;
  /** Generates every event the workers see, so positions keep increasing per vault. */
  factory: EventFactory;
  /** Everything delivered so far: the reference model's input. */
  delivered: AnyEvent[];
  /** Filled by stop(), read just before the processes exit: peak (VmHWM) and once-ready RSS per worker, MB. */
  peakRssMb: Record<string, number>;
  readyRssMb: Record<string, number>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Whose workers: this checkout (default) or the baseline's worktree. */
  tree?: Tree;
  /** A restart: the events so far (the vaults are deployed already). */
  resume?: Pick<System, 'factory' | 'delivered'>;
}

export async function startSystem(s: Session, settings: Settings, log: (m: string) => void, opts: StartOptions = {}): Promise<System> {
  const tree = opts.tree ?? currentTree();
  // The baseline runs every service its own tree lists; this checkout, the ones asked for.
  const names = tree.label === 'current' ? settings.workers : Object.keys(tree.entries);
  for (const w of names) if (!tree.entries[w]) throw new Error(`unknown worker ${w}`);
  for (const w of ['vault-worker', 'trade-worker', 'follower-worker']) if (!names.includes(w)) throw new Error(`the bench needs ${w}`);
  log(`starting ${tree.label} ${tree.commit}: ${names.join(', ')}${settings.compiled ? ' (compiled)' : ' (tsx)'}${Object.keys(settings.workerEnv).length ? ` with ${JSON.stringify(settings.workerEnv)}` : ''}`);
  const compiled = settings.compiled ? await compileWorkers(names, tree) : undefined;
  const workers = await startWorkers(names, { DATABASE_URL: s.db.url, REDIS_URL: s.redisUrl, QUEUE_PREFIX: s.prefix, ...settings.workerEnv }, compiled, tree);
  const sampler = new Client({ connectionString: s.db.url });
  const peakRssMb: Record<string, number> = {};
  const stop = async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) peakRssMb[w.name] = memoryMb(w.pid).peak;
    await stopWorkers(workers);
    await sampler.end().catch(() => undefined);
  };
  try {
    await sampler.connect();
    const rig: Rig = { s, workers, sampler };
    const factory = opts.resume?.factory ?? new EventFactory(settings.vaults, settings.followers);
    const delivered: AnyEvent[] = opts.resume?.delivered ?? [];

    if (!opts.resume) {
      log(`${settings.vaults} vaults through the vault worker`);
      const deploys = factory.deploys();
      delivered.push(...deploys);
      await enqueueBurst(s.queue('vault'), deploys, settings.chunk);
      await pollUntil(async () => (await countRows(rig, 'Vault')) === settings.vaults, 60_000, 'vaults');
    }

    const warm = Math.min(1000, Math.floor(settings.events / 10));
    log(`warm-up: ${warm} trades, ${warm} follower events (not measured)`);
    const trades = factory.trades(warm);
    const followers = factory.followerEvents(warm);
    delivered.push(...trades, ...followers);
    await enqueueBurst(s.queue('trade'), trades, settings.chunk);
    await enqueueBurst(s.queue('follower'), followers, settings.chunk);
    await drained(rig, snapshotsRun(rig) ? ['trade', 'follower', 'snapshot'] : ['trade', 'follower'], 120_000);
    const readyRssMb = Object.fromEntries(workers.map((w) => [w.name, w.readyRssMb]));
    return { rig, factory, delivered, peakRssMb, readyRssMb, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
