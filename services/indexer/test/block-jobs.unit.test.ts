import { eventJobOf, trade } from '@vaults/testkit';
import { blockJobId, blockJobs } from '../bench/block-prototype/block-jobs';

// The per-block prototype's grouping (bench only): one job per block and `removed`, in log order,
// its id from (queue, chain, block hash, removed).

const jobs = (events: ReturnType<typeof trade>[]) => events.map(eventJobOf).map(({ name, data }) => ({ name, data }));

describe('blockJobs', () => {
  const a = [trade(1, 5n, { blockNumber: 7, logIndex: 0 }), trade(2, 6n, { blockNumber: 7, logIndex: 3 })];
  const b = [trade(1, -1n, { blockNumber: 8, logIndex: 1 })];

  it("puts each block's logs, in order, into one job whose id names the block", () => {
    const out = blockJobs('trade', jobs([...a, ...b]));
    expect(out.map((j) => [j.data.blockNumber, j.data.events.map((e) => e.data.logIndex)])).toEqual([
      [7, [0, 3]],
      [8, [1]],
    ]);
    expect(out.map((j) => j.opts.jobId)).toEqual([`TradeExecutedBlock_1_${a[0]!.blockHash}`, `TradeExecutedBlock_1_${b[0]!.blockHash}`]);
  });

  it('gives a removal of the block a job of its own, with another id', () => {
    const removal = jobs(a).map((j) => ({ ...j, data: { ...j.data, removed: true } }));
    const out = blockJobs('trade', [...jobs(a), ...removal]);
    expect(out.map((j) => [j.data.removed, j.data.events.length])).toEqual([
      [false, 2],
      [true, 2],
    ]);
    expect(out[1]!.opts.jobId).toBe(`${blockJobId('trade', out[0]!.data)}_removed`);
  });
});
