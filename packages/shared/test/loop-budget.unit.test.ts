import { LoopBudget } from '../src';

// Long CPU work yields (issue 21): steps that ask the budget for room run at most ~budget of
// (here: fake) time per turn of the event loop, in their order; the rest wait for later turns.

/** Starts `n` steps of `costMs` each in one go; returns, per step, the loop turn it ran in. */
async function run(budget: LoopBudget, clock: { t: number }, n: number, costMs: number): Promise<number[]> {
  let turn = 0;
  let done = false;
  const tick = () => {
    turn++;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  const turns: number[] = [];
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await budget.room();
      clock.t += costMs;
      turns[i] = turn;
    }),
  );
  done = true;
  return turns;
}

it('runs at most ~budget of steps per turn of the loop, the rest in later turns, in order', async () => {
  const clock = { t: 0 };
  const budget = new LoopBudget(5, () => clock.t);
  const turns = await run(budget, clock, 23, 1);

  const perTurn = new Map<number, number>();
  for (const t of turns) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
  expect(Math.max(...perTurn.values())).toBe(5);
  expect(perTurn.size).toBe(5); // 23 steps of 1 ms: 5 + 5 + 5 + 5 + 3
  expect(turns).toEqual([...turns].sort((a, b) => a - b)); // in the order they asked
});

it('a step longer than the budget runs alone in its turn', async () => {
  const clock = { t: 0 };
  const turns = await run(new LoopBudget(5, () => clock.t), clock, 3, 8);
  expect(new Set(turns).size).toBe(3);
});

it('steps that together fit the budget run in one turn, the next one', async () => {
  const clock = { t: 0 };
  const turns = await run(new LoopBudget(5, () => clock.t), clock, 4, 1);
  expect(turns).toEqual([1, 1, 1, 1]);
});
