import { Client } from 'pg';
import { ConflictingCopyError, txOn, type FollowerEvent, type TradeExecuted, type Tx, type VaultDeployed, recordFollowerEvents, recordTrades, recordDeploy } from '@vaults/shared';
import { addr, blockHashOf, createTestDatabaseClient, deploy, follower, trade, txh, type TestDatabaseClient } from '@vaults/testkit';

// "Copies agree" (docs/CONTRACT.md): for every field of every payload kind, a copy that differs
// from the recorded event fails alone, naming that field, and the database is exactly what the
// recorded event alone makes of it: copy after or before the original, in one group-commit
// batch or across batches, removal copies included; and an identity reused on another queue.

let db: TestDatabaseClient;
let pg: Client;

beforeAll(async () => {
  db = await createTestDatabaseClient();
  pg = db.pg;
});
afterAll(async () => {
  await db.drop();
});

type Kind = 'trade' | 'follower' | 'deploy';
type Payload = TradeExecuted | FollowerEvent | VaultDeployed;
type Result = { ok: true } | { ok: false; error: unknown };
const strip = <T extends { type: string }>({ type, ...rest }: T) => ({ ...rest, removed: false });

/**
 * One batch of a writer, as the workers run it in a transaction of its own; here a savepoint of
 * the test's transaction, so that every run starts from, and goes back to, an empty database.
 * A deploy is always written alone.
 */
async function write(kind: Kind, batch: Payload[]): Promise<Result[]> {
  if (kind === 'deploy') {
    const out: Result[] = [];
    for (const e of batch) out.push(...(await savepoint(async (tx) => (await recordDeploy(tx, e as VaultDeployed), [{ ok: true as const }]))));
    return out;
  }
  return savepoint(async (tx) => {
    const outcomes = await (kind === 'trade' ? recordTrades(tx, batch as TradeExecuted[]) : recordFollowerEvents(tx, batch as FollowerEvent[]));
    return outcomes.map((o) => (o.ok ? { ok: true as const } : { ok: false as const, error: o.error }));
  });
}

async function savepoint(fn: (tx: Tx) => Promise<Result[]>): Promise<Result[]> {
  await pg.query('SAVEPOINT batch');
  try {
    const r = await fn(txOn(pg));
    await pg.query('RELEASE SAVEPOINT batch');
    return r;
  } catch (error) {
    await pg.query('ROLLBACK TO SAVEPOINT batch');
    return [{ ok: false, error }];
  }
}

/** Every table the writers touch, ids replaced by the addresses they stand for. */
async function dump(): Promise<unknown> {
  const q = async (sql: string) => (await pg.query(sql)).rows;
  return {
    users: await q(`SELECT "walletAddress" FROM "User" ORDER BY 1`),
    vaults: await q(`SELECT v."chainId"::text, v."contractAddress", v.name, v."baseAsset", u."walletAddress" AS leader, v.status::text,
                            v.tvl::text, v.roi, v.drawdown FROM "Vault" v JOIN "User" u ON u.id = v."leaderId" ORDER BY 1, 2`),
    trades: await q(`SELECT t."chainId"::text, t."blockHash", t."logIndex"::text, t."txHash", v."contractAddress", t."blockNumber"::text, t."blockTimestamp"::text,
                            t."tokenIn", t."tokenOut", t."amountIn"::text, t."amountOut"::text, t.pnl::text
                       FROM "Trade" t JOIN "Vault" v ON v.id = t."vaultId" ORDER BY 1, 2, 3`),
    subscriptions: await q(`SELECT u."walletAddress", v."contractAddress", s."depositedAmount"::text FROM "FollowerSubscription" s
                              JOIN "User" u ON u.id = s."userId" JOIN "Vault" v ON v.id = s."vaultId" ORDER BY 1, 2`),
    tradeLedger: await q(`SELECT "chainId"::text, "blockHash", "logIndex"::text, "txHash", removed, "blockNumber"::text, "blockTimestamp"::text, "vaultAddress",
                                 "tokenIn", "tokenOut", "amountIn"::text, "amountOut"::text, pnl::text FROM "TradeEvent" ORDER BY 1, 2, 3`),
    followerLedger: await q(`SELECT e."chainId"::text, e."blockHash", e."logIndex"::text, e."txHash", v."contractAddress", u."walletAddress", e.action::text,
                                    e.amount::text, e."blockNumber"::text, e."blockTimestamp"::text, e.removed
                               FROM "FollowerEvent" e JOIN "Vault" v ON v.id = e."vaultId" JOIN "User" u ON u.id = e."userId" ORDER BY 1, 2, 3`),
    deployLedger: await q(`SELECT "chainId"::text, "blockHash", "logIndex"::text, "txHash", "vaultAddress", "leaderAddress", name, "baseAsset",
                                  "blockNumber"::text, "blockTimestamp"::text, removed FROM "VaultDeployEvent" ORDER BY 1, 2, 3`),
    metricsInvalidated: await q(`SELECT "vaultId", "recomputeFromBlock"::text, "recomputeFromLogIndex"::text FROM "VaultMetricsState" ORDER BY 1`),
  };
}

// Two vaults whose events the cases write (a trade or follower copy may name the other one).
const VAULTS = [strip(deploy(1, 0x1ead)), strip(deploy(2, 0x1ead))];

/** Runs the batches on an empty database (then rolled back): the dump, and each copy's result. */
function run(kind: Kind, batches: Payload[][], before?: (state: unknown) => void) {
  return runKinds(batches.map((b) => [kind, b]), before);
}

/** Like run, each batch with its own writer. `before` gets the dump before the last batch. */
async function runKinds(batches: [Kind, Payload[]][], before?: (state: unknown) => void): Promise<{ state: unknown; results: Result[][] }> {
  await pg.query('BEGIN');
  try {
    await write('deploy', VAULTS);
    const results: Result[][] = [];
    for (const [i, [kind, b]] of batches.entries()) {
      if (i === batches.length - 1) before?.(await dump());
      results.push(await write(kind, b));
    }
    return { state: await dump(), results };
  } finally {
    await pg.query('ROLLBACK');
  }
}

const original: Record<Kind, () => Payload> = {
  trade: () => strip(trade(1, -42n, { blockNumber: 10, logIndex: 3 })),
  follower: () => strip(follower(1, 0xf0, 'DEPOSIT', 700n, { blockNumber: 5, logIndex: 4 })),
  deploy: () => strip(deploy(7, 0x1ead, { blockNumber: 1, logIndex: 5 })),
};

/** Per field, the copy's value that differs from the original's. */
const changed: Record<Kind, Record<string, (p: Payload) => unknown>> = {
  trade: {
    txHash: () => txh(0xdead),
    blockNumber: (p) => (p as TradeExecuted).blockNumber + 1,
    blockTimestamp: (p) => (p as TradeExecuted).blockTimestamp + 1,
    vaultAddress: () => addr(2),
    tokenIn: () => addr(0xcc),
    tokenOut: () => addr(0xdd),
    amountIn: () => '1001',
    amountOut: () => '991',
    pnl: () => '-43',
  },
  follower: {
    txHash: () => txh(0xdead),
    blockNumber: (p) => (p as FollowerEvent).blockNumber + 1,
    blockTimestamp: (p) => (p as FollowerEvent).blockTimestamp + 1,
    vaultAddress: () => addr(2),
    followerAddress: () => addr(0xf1),
    amount: () => '701',
    action: () => 'WITHDRAW',
  },
  deploy: {
    txHash: () => txh(0xdead),
    blockNumber: (p) => (p as VaultDeployed).blockNumber + 1,
    blockTimestamp: (p) => (p as VaultDeployed).blockTimestamp + 1,
    vaultAddress: () => addr(8),
    leader: () => addr(0x1eae),
    name: () => 'Another name',
    baseAsset: () => addr(0xba5f),
  },
};

const removal = (p: Payload): Payload => ({ ...p, removed: true });

// Each scenario: the batches, the batches that alone make the expected state, and which copy
// (batch, position) must fail.
type Scenario = { label: string; batches: (a: Payload, b: Payload) => Payload[][]; expected: (a: Payload, b: Payload) => Payload[][]; fails: [number, number] };
const scenarios: Scenario[] = [
  { label: 'copy after, next batch', batches: (a, b) => [[a], [b]], expected: (a) => [[a]], fails: [1, 0] },
  { label: 'copy before, next batch', batches: (a, b) => [[b], [a]], expected: (_a, b) => [[b]], fails: [1, 0] },
  { label: 'removal copy after', batches: (a, b) => [[a], [removal(b)]], expected: (a) => [[a]], fails: [1, 0] },
  { label: 'removal first, differing copy after', batches: (a, b) => [[removal(a)], [b]], expected: (a) => [[removal(a)]], fails: [1, 0] },
  { label: 'differing removal first, copy after', batches: (a, b) => [[removal(b)], [a]], expected: (_a, b) => [[removal(b)]], fails: [1, 0] },
];
const batchScenarios: Scenario[] = [
  { label: 'one batch, copy after', batches: (a, b) => [[a, b]], expected: (a) => [[a]], fails: [0, 1] },
  { label: 'one batch, copy first', batches: (a, b) => [[b, a]], expected: (_a, b) => [[b]], fails: [0, 1] },
  { label: 'one batch, removal copy after', batches: (a, b) => [[a, removal(b)]], expected: (a) => [[a]], fails: [0, 1] },
  // The batch's first copy conflicts with the recorded event; its agreeing removal still applies.
  { label: 'one batch, conflict then agreeing removal', batches: (a, b) => [[a], [b, removal(a)]], expected: (a) => [[a], [removal(a)]], fails: [1, 0] },
];

const cases: [string, Kind, string, Scenario][] = [];
for (const kind of ['trade', 'follower', 'deploy'] as Kind[]) {
  for (const field of Object.keys(changed[kind])) {
    // A deploy is written one per transaction: it has no group-commit batch.
    for (const s of kind === 'deploy' ? scenarios : [...scenarios, ...batchScenarios]) cases.push([`${kind} ${field}: ${s.label}`, kind, field, s]);
  }
}

it.each(cases)('%s', async (_label, kind, field, s) => {
  const a = original[kind]();
  const b = { ...a, [field]: changed[kind][field]!(a) } as Payload;
  const expected = await run(kind, s.expected(a, b));
  const actual = await run(kind, s.batches(a, b));

  const [bi, pi] = s.fails;
  actual.results.forEach((batch, i) =>
    batch.forEach((r, j) => {
      if (i === bi && j === pi) {
        expect(r.ok).toBe(false);
        const error = (r as { error: unknown }).error;
        expect(error).toBeInstanceOf(ConflictingCopyError);
        expect((error as Error).message).toMatch(new RegExp(`^${field}: conflicting copy of event `));
      } else {
        expect({ i, j, r }).toEqual({ i, j, r: { ok: true } });
      }
    }),
  );
  expect(actual.state).toEqual(expected.state);
});

describe('an identity reused on another queue', () => {
  const kinds: Kind[] = ['trade', 'follower', 'deploy'];
  const pairs = kinds.flatMap((first) => kinds.filter((k) => k !== first).map((second) => [first, second] as const));
  it.each(pairs)('recorded as %s, then sent as %s: fails naming the queue, writes nothing', async (first, second) => {
    const a = original[first]();
    const other = original[second]();
    const b = { ...other, chainId: a.chainId, blockHash: a.blockHash, txHash: a.txHash, logIndex: a.logIndex } as Payload;
    let before: unknown;
    const { state, results } = await runKinds([[first, [a]], [second, [b]]], (s) => (before = s));
    const [r] = results[1]!;
    expect(r!.ok).toBe(false);
    expect(((r as { error: Error }).error).message).toMatch(/^queue: conflicting copy of event .* already recorded on /);
    expect(state).toEqual(before);
  });
});

describe('a copy naming a vault not known yet', () => {
  it.each(['trade', 'follower'] as Kind[])('%s: fails at once when its identity is recorded, waits otherwise', async (kind) => {
    const a = original[kind]();
    const stray = { ...a, vaultAddress: addr(99), removed: true } as Payload;
    const fresh = { ...original[kind](), vaultAddress: addr(99), logIndex: a.logIndex + 1 } as Payload;
    let before: unknown;
    const { state, results } = await run(kind, [[a], [stray, fresh]], (s) => (before = s));
    const [r, w] = results[1]!;
    expect(r!.ok).toBe(false);
    expect(((r as { error: Error }).error).message).toMatch(/^vaultAddress: conflicting copy of event /);
    expect(w).toEqual({ ok: true });
    expect(state).toEqual(before);
  });
});

// Contract version 2: an event is the log of one block. The same transaction re-included by a
// re-organisation, in a sibling block at the same height or in a later block, is another event
// (another identity), not a conflicting copy; the old block's removal retracts the old block's
// event only, whichever arrives first. (Under version 1 the re-included copy failed as a
// conflicting copy when its block number moved, and was retracted for ever when it did not.)
describe('a transaction re-included in another block', () => {
  const moves: [string, (p: Payload) => Partial<Payload>][] = [
    ['a sibling block at the same height', (p) => ({ blockHash: blockHashOf(p.blockNumber, 1) })],
    ['a later block, same log index', (p) => ({ blockNumber: p.blockNumber + 2, blockHash: blockHashOf(p.blockNumber + 2, 1), blockTimestamp: p.blockTimestamp + 24 })],
    ['a later block, another log index', (p) => ({ blockNumber: p.blockNumber + 1, blockHash: blockHashOf(p.blockNumber + 1, 1), logIndex: p.logIndex + 5 })],
  ];
  const orders: [string, (a: Payload, gone: Payload, again: Payload) => Payload[][]][] = [
    ['copy, removal, re-included', (a, gone, again) => [[a], [gone], [again]]],
    ['copy, re-included, removal', (a, gone, again) => [[a], [again], [gone]]],
    ['re-included, copy, removal', (a, gone, again) => [[again], [a], [gone]]],
    ['re-included, removal, copy', (a, gone, again) => [[again], [gone], [a]]],
    ['removal, copy, re-included', (a, gone, again) => [[gone], [a], [again]]],
    ['removal, re-included, copy, duplicates', (a, gone, again) => [[gone, gone], [again], [a, again]]],
    ['one batch: copy, re-included, removal', (a, gone, again) => [[a, again, gone]]],
    ['one batch: re-included, removal, copy', (a, gone, again) => [[again, gone, a]]],
  ];
  const cases = (['trade', 'follower', 'deploy'] as Kind[]).flatMap((kind) =>
    moves.flatMap(([move, to]) =>
      orders.filter(([order]) => kind !== 'deploy' || !order.startsWith('one batch')).map(([order, batches]) => [kind, move, order, to, batches] as const),
    ),
  );

  it.each(cases)('%s in %s, delivered %s: both recorded, the old one retracted, nothing fails', async (kind, _move, _order, to, batches) => {
    const a = original[kind]();
    const again = { ...a, ...to(a) } as Payload;
    const expected = await run(kind, [[removal(a)], [again]]);
    const actual = await run(kind, batches(a, removal(a), again));
    for (const batch of actual.results) for (const r of batch) expect(r).toEqual({ ok: true });
    expect(actual.state).toEqual(expected.state);
    // What the expected state holds: the re-included event in effect, the old block's retracted.
    const state = actual.state as { trades: unknown[]; subscriptions: unknown[]; vaults: { contractAddress: string; status: string }[] };
    if (kind === 'trade') expect(state.trades).toEqual([expect.objectContaining({ blockHash: again.blockHash, txHash: a.txHash })]);
    if (kind === 'follower') expect(state.subscriptions).toEqual([expect.objectContaining({ depositedAmount: '700' })]);
    if (kind === 'deploy') expect(state.vaults.find((v) => v.contractAddress === (a as VaultDeployed).vaultAddress)?.status).toBe('ACTIVE');
  });

  it.each(['trade', 'follower'] as Kind[])('%s: both copies are in effect until the old block\'s removal arrives', async (kind) => {
    const a = original[kind]();
    const again = { ...a, blockHash: blockHashOf(a.blockNumber, 1) } as Payload;
    const { state, results } = await run(kind, [[a], [again]]);
    for (const batch of results) for (const r of batch) expect(r).toEqual({ ok: true });
    const s = state as { trades: unknown[]; subscriptions: unknown[] };
    if (kind === 'trade') expect(s.trades).toHaveLength(2);
    else expect(s.subscriptions).toEqual([expect.objectContaining({ depositedAmount: '1400' })]);
  });
});
