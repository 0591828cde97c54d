import { ownDelayMs } from '../../bench/worker/loop-probe';

// The loop probe's own delay: how late the timer fired, less the time the thread waited for a CPU.

describe('ownDelayMs', () => {
  it('is the delay less the run-queue wait of the same interval', () => {
    expect(ownDelayMs(30, 25)).toBe(5);
    expect(ownDelayMs(30, 0)).toBe(30);
  });

  it('is never negative (a wait that began before the timer was due)', () => {
    expect(ownDelayMs(4, 9)).toBe(0);
  });
});
