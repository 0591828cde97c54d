import type { AnyEvent } from '@vaults/testkit';
import type { EventFactory } from '../lib/events';
import { runPipeline, type Kind, type PipelineResult } from '../pipelines/pipeline';
import { openSession, type Session } from '../lib/session';
import type { Settings } from '../lib/settings';
import { startSystem, type System } from '../lib/system';
import type { Tree } from './tree';
import { createTreeDatabase, verifyInTree } from './tree-run';
import type { Verification } from '../lib/verify';

// One side of the before/after run: a tree's workers on a database of their own (migrated by
// that tree) under a queue prefix of their own. Its workers run only while it is measured
// (up/down): idle workers still poll Redis and hold memory, which would be charged to the other
// side. Both sides get the same seeded event stream (EventFactory's default seed), up to the
// warm-up that follows each start.

export class Side {
  system?: System;
  private events?: { factory: EventFactory; delivered: AnyEvent[] };
  readonly pipelines: PipelineResult[] = [];
  readonly peakRssMb: Record<string, number> = {};
  readonly readyRssMb: Record<string, number> = {};

  private constructor(
    readonly tree: Tree,
    readonly s: Session,
    private readonly settings: Settings,
    private readonly log: (m: string) => void,
  ) {}

  static async open(tree: Tree, settings: Settings, log: (m: string) => void): Promise<Side> {
    const s = await openSession(
      tree.label === 'current' ? {} : { database: () => createTreeDatabase(tree, 'vaults_bench_base'), label: 'base' },
    );
    log(`${tree.label} ${tree.commit}: database ${s.db.name}; queue prefix ${s.prefix}`);
    return new Side(tree, s, settings, log);
  }

  get label(): string {
    return this.tree.label;
  }

  /** Starts the workers (the first time: deploys the vaults), then the warm-up. */
  async up(): Promise<System> {
    if (this.system) return this.system;
    this.system = await startSystem(this.s, this.settings, this.log, { tree: this.tree, resume: this.events });
    this.events = { factory: this.system.factory, delivered: this.system.delivered };
    return this.system;
  }

  /** Stops the workers; keeps the peak RSS each reached (the highest over every start). */
  async down(): Promise<void> {
    const system = this.system;
    if (!system) return;
    this.system = undefined;
    await system.stop();
    for (const [w, mb] of Object.entries(system.peakRssMb)) this.peakRssMb[w] = Math.max(this.peakRssMb[w] ?? 0, mb);
    for (const [w, mb] of Object.entries(system.readyRssMb)) this.readyRssMb[w] ??= mb;
  }

  /** N events of one kind end to end, with this side's workers up. */
  async run(kind: Kind): Promise<PipelineResult> {
    const { rig, factory, delivered } = await this.up();
    const events = kind === 'trades' ? factory.trades(this.settings.events) : factory.followerEvents(this.settings.events);
    delivered.push(...events);
    this.log(`${this.label} ${kind} end to end: ${events.length} events`);
    const result = await runPipeline(rig, kind, events, this.settings.chunk);
    this.pipelines.push(result);
    return result;
  }

  /** The database against the reference model, read with this side's own tree. */
  verify(): Promise<Verification> {
    return verifyInTree(this.tree, this.s.db.url, this.events?.delivered ?? []);
  }

  async close(): Promise<void> {
    await this.down();
    await this.s.close();
  }
}
