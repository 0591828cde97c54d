import { Worker } from 'bullmq';
import { Producer, SnapshotRequests, createRedis, queueName, snapshotDedupId, type CalculateSnapshotInput } from '../src';

// The snapshot requests of the trade and follower workers, on a real Redis: the requests of one
// moment make one calculateSnapshots call with one add per vault, and a request made after an
// add was sent always sends another (keepLastIfActive then queues a snapshot behind a running one).

const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const vault = (n: number) => '0x' + n.toString(16).padStart(40, '0');

describe('SnapshotRequests', () => {
  const suffix = `-snapreq-${Date.now().toString(36)}-${Math.random().toString(16).slice(2, 8)}`;
  const redis = createRedis(REDIS, 'wait');
  const producer = new Producer({ connection: redis, queueSuffix: suffix, failFast: false });
  const queue = producer.queue('snapshot');
  /** Per calculateSnapshots call, the vaults it carried; and every add sent to Redis. */
  const calls: string[][] = [];
  const adds: string[] = [];
  const calculateSnapshots = producer.calculateSnapshots.bind(producer);
  producer.calculateSnapshots = (rs) => {
    calls.push(rs.map((r) => r.vaultAddress));
    return calculateSnapshots(rs);
  };
  const add = queue.add.bind(queue);
  queue.add = (name, data, opts) => {
    adds.push((data as { vaultAddress: string }).vaultAddress);
    return add(name, data, opts);
  };

  beforeEach(async () => {
    await queue.obliterate({ force: true });
    calls.length = 0;
    adds.length = 0;
  });

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await producer.close();
    redis.disconnect();
  });

  it('sends the requests of one tick in one call, one add and one job per vault', async () => {
    const requests = new SnapshotRequests(producer);
    await Promise.all([1, 2, 1, 3, 1, 2].map((v) => requests.request(1, vault(v))));

    expect(calls).toEqual([[vault(1), vault(2), vault(3)]]);
    expect(adds.sort()).toEqual([vault(1), vault(2), vault(3)]);
    const waiting = await queue.getWaiting();
    expect(waiting.map((j) => j.data.vaultAddress).sort()).toEqual([vault(1), vault(2), vault(3)]);
    expect(waiting.every((j) => j.name === 'CalculateSnapshot')).toBe(true);
    expect(waiting.map((j) => j.opts.deduplication?.id).sort()).toEqual([1, 2, 3].map((v) => snapshotDedupId(1, vault(v))).sort());
  });

  it('sends another add for a request after the add was sent; Redis keeps one waiting job per vault', async () => {
    const requests = new SnapshotRequests(producer);
    await requests.request(1, vault(1));
    await Promise.all([requests.request(1, vault(1)), requests.request(1, vault(2))]);

    expect(calls).toEqual([[vault(1)], [vault(1), vault(2)]]);
    const waiting = await queue.getWaiting();
    expect(waiting.map((j) => j.data.vaultAddress).sort()).toEqual([vault(1), vault(2)]);
  });

  it('queues a snapshot behind a running one (keepLastIfActive), created when the running one completes', async () => {
    const requests = new SnapshotRequests(producer);
    await requests.request(1, vault(7));
    const connection = createRedis(REDIS, 'wait');
    const worker = new Worker(queueName('snapshot', suffix), null, { connection, autorun: false });
    try {
      const running = await worker.getNextJob('token');
      expect(running?.data).toEqual({ chainId: 1, vaultAddress: vault(7) });

      await requests.request(1, vault(7));
      expect(adds).toEqual([vault(7), vault(7)]);
      expect(await queue.getWaitingCount()).toBe(0);

      await running!.moveToCompleted('done', 'token', false);
      const next = await queue.getWaiting();
      expect(next.map((j) => j.data)).toEqual([{ chainId: 1, vaultAddress: vault(7) }]);
      expect(next[0]!.id).not.toBe(running!.id);
    } finally {
      await worker.close();
      connection.disconnect();
    }
  });

  it('a request made while the add is on its way goes into the next add', async () => {
    const sent: CalculateSnapshotInput[][] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const requests = new SnapshotRequests({
      calculateSnapshots: async (rs) => {
        sent.push([...rs]);
        if (sent.length === 1) await held;
        return [];
      },
    });
    const first = requests.request(1, vault(1));
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
    const second = requests.request(1, vault(1));
    release();
    await Promise.all([first, second]);
    expect(sent).toEqual([[{ chainId: 1, vaultAddress: vault(1) }], [{ chainId: 1, vaultAddress: vault(1) }]]);
  });
});
