import { QUEUES, parsePayload, type QueueKey } from '../src/contract';

// A job name is looked up among the queue's own job names only: one named after a built-in
// object property must be unknown, not Object.prototype's member (which failed with a TypeError
// that named nothing, and was retried).

const BUILT_INS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__'];

describe.each(Object.keys(QUEUES) as QueueKey[])('%s queue', (key) => {
  it.each(BUILT_INS)('refuses the job name %s, naming it', (name) => {
    const r = parsePayload(key, name, { chainId: 1 });
    expect(r).toEqual({ ok: false, unknownJobName: true, reason: expect.stringMatching(new RegExp(`^unknown job name "${name}" on ${QUEUES[key].name} \\(expected `)) });
  });
});

it('quotes a job name that could forge a reason', () => {
  const r = parsePayload('trade', 'x" on AnotherQueue\nfake line', {});
  expect(r.ok).toBe(false);
  expect((r as { reason: string }).reason).toMatch(/^unknown job name "x\\" on AnotherQueue\\nfake line" on TradeProcessingQueue/);
});
