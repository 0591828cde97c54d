import { randomBytes } from 'node:crypto';
import { createTestDatabase, type AnyEvent, type LocalCluster, type TestDatabase } from '@vaults/testkit';
import { Driver, QueueWatch } from '../faults/lib/driver';
import { compare, type Effects } from '../faults/lib/measure';
import { Fleet } from '../faults/lib/workers';

// One run's world on the local cluster: a database of its own (machine Postgres), a key prefix of
// its own WITHOUT a hash tag (so each queue gets its own: bull-style `<prefix>:{<queue>}`), the
// worker processes, an indexer (the fault suite's driver) and a queue watcher.

export class ClusterStage {
  readonly prefix = `cl-${randomBytes(3).toString('hex')}`;
  readonly fleet: Fleet;
  readonly driver: Driver;
  readonly watch: QueueWatch;
  /** Every event delivered: the reference model's input. */
  readonly delivered: AnyEvent[] = [];

  private constructor(readonly cluster: LocalCluster, readonly db: TestDatabase, env: Record<string, string>) {
    const url = cluster.url();
    this.fleet = new Fleet({ DATABASE_URL: db.url, REDIS_URL: url, QUEUE_PREFIX: this.prefix, ...env });
    this.driver = new Driver(url, this.prefix);
    this.watch = new QueueWatch(url, this.prefix);
  }

  static async open(cluster: LocalCluster, env: Record<string, string> = {}): Promise<ClusterStage> {
    return new ClusterStage(cluster, await createTestDatabase('vaults_cluster'), env);
  }

  async deliver(events: AnyEvent[], perSecond = Infinity): Promise<void> {
    this.delivered.push(...events);
    await this.driver.deliver(events, perSecond);
  }

  compare(): Promise<Effects> {
    return compare(this.db.url, this.delivered);
  }

  /** Keys of this stage per master port, by queue: where each queue's keys really are. */
  placement(queues: string[]): { queue: string; master: number; slotKey: string }[] {
    return queues.map((q) => {
      const slotKey = `${this.prefix}:{${q}}:${q}:id`;
      return { queue: q, master: this.cluster.masterOfKey(slotKey), slotKey };
    });
  }

  async close(): Promise<void> {
    await this.fleet.stop();
    await this.watch.obliterate();
    await this.watch.close();
    await this.driver.close();
    await this.db.drop();
  }
}
