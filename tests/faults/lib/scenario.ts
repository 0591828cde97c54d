import { randomBytes } from 'node:crypto';
import type { AnyEvent } from '@vaults/testkit';
import { SERVICES as SERVICE_LIST, type QueueKey } from '@vaults/shared';
import { Driver, EVENT_QUEUES, QueueWatch } from './driver';
import { compare, type Effects } from './measure';
import type { PgCluster, RedisServer } from './servers';
import { seconds } from './util';
import { Fleet, type ServiceName, type WorkerProcess } from './workers';

export interface Infra {
  redis: RedisServer;
  pg: PgCluster;
  /** FAULTS_SCALE: 1 in CI; more events per scenario when raised. */
  scale: number;
  seed: number;
}

export interface Row {
  scenario: string;
  sent: number;
  expected: number;
  found: number;
  lost: number;
  doubled: number;
  wrong: number;
  /** Event jobs that ran more than once (stalled after a crash, retried, or both). */
  redelivered: number;
  /** Event jobs that a dead or stopped worker left active, brought back by the stall check. */
  stalled: number;
  /** From the later of the fault's end and the last event sent, until every queue drained. */
  recoverMs: number | undefined;
  problems: string[];
  notes: string[];
  passed: boolean;
  /** A row that checks behaviour, not effects: its figure columns print '-'. */
  check?: boolean;
}

/** One scenario's world: its database, its queue prefix, its worker processes, its indexer. */
export class Stage {
  readonly prefix = `{faults-${randomBytes(4).toString('hex')}}`;
  readonly fleet: Fleet;
  readonly driver: Driver;
  readonly watch: QueueWatch;
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  /** Every valid event delivered (duplicates included): the reference model's input. */
  readonly delivered: AnyEvent[] = [];
  faultEndedAt: number | undefined;
  /** The event queues' completed and failed jobs, as finish() read them before clean-up. */
  readonly jobsAtEnd = new Map<QueueKey, Awaited<ReturnType<QueueWatch['jobs']>>>();

  private constructor(readonly name: string, readonly infra: Infra, readonly databaseUrl: string, env: Record<string, string>) {
    this.fleet = new Fleet({ DATABASE_URL: databaseUrl, REDIS_URL: infra.redis.url(), QUEUE_PREFIX: this.prefix, ...env });
    this.driver = new Driver(infra.redis.url(), this.prefix);
    this.watch = new QueueWatch(infra.redis.url(), this.prefix);
  }

  static async open(name: string, infra: Infra, env: Record<string, string> = {}): Promise<Stage> {
    const db = `faults_${name.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
    const url = await infra.pg.createDatabase(db);
    return new Stage(name, infra, url, env);
  }

  check(ok: boolean, problem: string): boolean {
    if (!ok) this.problems.push(problem);
    return ok;
  }

  /** Deliver valid events (recorded for the reference model). */
  async deliver(events: AnyEvent[], perSecond = Infinity): Promise<void> {
    this.delivered.push(...events);
    await this.driver.deliver(events, perSecond);
    this.lastSend = Date.now();
  }

  markFaultEnd(): void {
    this.faultEndedAt = Date.now();
  }

  /**
   * Waits for every queue to drain, compares the database with the reference model, checks the
   * event queues' failed sets, and stops the workers. `allowedFailures` counts jobs that must
   * end failed (hostile input, events of a vault that never appears).
   */
  async finish(opts: { drainTimeoutMs?: number; allowedFailures?: number; sameProcesses?: WorkerProcess[]; stallBound?: StallBound } = {}): Promise<Row> {
    let drainedAt: number | undefined;
    try {
      drainedAt = await this.watch.drained(opts.drainTimeoutMs ?? 120_000);
    } catch (err) {
      this.problems.push((err as Error).message);
    }
    if (opts.sameProcesses) {
      const gone = opts.sameProcesses.filter((w) => !w.alive);
      const added = this.fleet.all.filter((w) => !opts.sameProcesses!.includes(w));
      this.check(!gone.length && !added.length, `processes exited or were added (${gone.map((w) => `${w.service} pid ${w.pid}`).join(', ')}): the workers must ride the fault out without a restart`);
    }
    // Recovery is counted from the later of the fault's end and the last event sent.
    const ends = [this.faultEndedAt, this.lastSend].filter((t): t is number => t !== undefined);
    const recoverFrom = ends.length ? Math.max(...ends) : undefined;
    const effects: Effects = await compare(this.databaseUrl, this.delivered).catch((err) => {
      this.problems.push(`could not read the database: ${(err as Error).message}`);
      return { expected: 0, found: 0, lost: 0, doubled: 0, wrong: 0, diff: [] };
    });
    if (effects.diff.length) {
      this.problems.push(`state differs from the reference model in ${effects.diff.length} place(s), e.g.:\n      ${effects.diff.slice(0, 8).join('\n      ')}`);
    }
    let redelivered = 0;
    let stalled = 0;
    let failed = 0;
    let mostStalls = 0;
    let mostStalledJob = '';
    const unexpectedFailures: string[] = [];
    for (const k of EVENT_QUEUES) {
      const jobs = await this.watch.jobs(k);
      this.jobsAtEnd.set(k, jobs);
      for (const j of jobs) {
        if ((j.attemptsStarted ?? 0) > 1 || (j.stalledCounter ?? 0) > 0) redelivered++;
        if ((j.stalledCounter ?? 0) > 0) stalled++;
        if ((j.stalledCounter ?? 0) > mostStalls) {
          mostStalls = j.stalledCounter ?? 0;
          mostStalledJob = `${k}/${j.name} #${j.id}`;
        }
        if (j.failedReason) {
          failed++;
          if (unexpectedFailures.length < 5) unexpectedFailures.push(`${k}/${j.name} #${j.id}: ${j.failedReason.slice(0, 200)}`);
        }
      }
    }
    const allowed = opts.allowedFailures ?? 0;
    if (failed !== allowed) {
      this.problems.push(`${failed} event job(s) failed, ${allowed} expected: ${unexpectedFailures.join(' | ')}`);
    }
    // Stalls are counted and bounded: a job taken over from a lost lock runs once more, and no
    // job may run more than twice; a live worker with a working Redis never loses a lock.
    const bound = opts.stallBound ?? { max: 0, why: 'no worker died and Redis stayed up' };
    this.check(mostStalls <= 1, `${mostStalledJob} stalled ${mostStalls} times: it ran ${mostStalls + 1} times (at most twice allowed)`);
    this.check(stalled <= bound.max, `${stalled} job(s) stalled, bound ${bound.max} (${bound.why})`);
    this.notes.push(`stalled ${stalled} (bound ${bound.max}: ${bound.why}); most stalls of one job ${mostStalls}`);
    await this.close();
    const row: Row = {
      scenario: this.name,
      sent: this.driver.sent,
      expected: effects.expected,
      found: effects.found,
      lost: effects.lost,
      doubled: effects.doubled,
      wrong: effects.wrong,
      redelivered,
      stalled,
      recoverMs: drainedAt !== undefined && recoverFrom !== undefined ? Math.max(0, drainedAt - recoverFrom) : undefined,
      problems: this.problems,
      notes: this.notes,
      passed: false,
    };
    row.passed = row.problems.length === 0 && row.lost === 0 && row.doubled === 0 && row.wrong === 0 && effects.expected > 0;
    if (!row.passed && this.fleet.all.length) this.notes.push(`last log lines:\n${this.fleet.tail(4)}`);
    return row;
  }

  lastSend: number | undefined;

  async close(): Promise<void> {
    await this.fleet.stop();
    await this.watch.obliterate();
    await this.watch.close();
    await this.driver.close();
  }
}

/** How many event jobs a scenario may see stalled, and why that many. */
export interface StallBound {
  max: number;
  why: string;
}

const CONCURRENCY = Object.fromEntries(SERVICE_LIST.map((s) => [s.name, s.concurrency])) as Record<ServiceName, number>;

/** A dead (or cut-off) worker's jobs stall, each once: at most its concurrency per process lost. */
export function heldBy(services: readonly ServiceName[], why: string): StallBound {
  return { max: services.reduce((n, s) => n + CONCURRENCY[s], 0), why };
}

/** A row for a scenario that crashed before it could measure anything. */
/** A behaviour check's row (no effects to count). */
export function checkRow(scenario: string, problems: string[], notes: string[] = []): Row {
  return {
    scenario, sent: 0, expected: 0, found: 0, lost: 0, doubled: 0, wrong: 0, redelivered: 0, stalled: 0, recoverMs: undefined,
    problems, notes, passed: problems.length === 0, check: true,
  };
}

export function crashedRow(name: string, err: unknown, notes: string[] = []): Row {
  return {
    scenario: name, sent: 0, expected: 0, found: 0, lost: 0, doubled: 0, wrong: 0, redelivered: 0, stalled: 0, recoverMs: undefined,
    problems: [`scenario crashed: ${(err as Error)?.stack ?? String(err)}`], notes, passed: false,
  };
}

export function formatTable(rows: Row[]): string {
  const head = ['scenario', 'events sent', 'effects expected', 'found', 'lost', 'doubled', 'wrong', 'redelivered', 'stalled', 'recover (s)', 'result'];
  const body = rows.map((r) => r.check ? [r.scenario, ...head.slice(1, -1).map(() => '-'), r.passed ? 'PASS' : 'FAIL'] : [
    r.scenario, String(r.sent), String(r.expected), String(r.found), String(r.lost), String(r.doubled), String(r.wrong),
    String(r.redelivered), String(r.stalled), r.recoverMs === undefined ? '-' : seconds(r.recoverMs), r.passed ? 'PASS' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|')}|`;
  return [line(head), sep, ...body.map(line)].join('\n');
}
