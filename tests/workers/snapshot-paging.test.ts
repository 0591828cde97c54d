import { createDatabase, type Database, recordFollowerEvents, recordDeploy, advanceSnapshot, SNAPSHOT_PAGE_SIZE, applyEvent, INITIAL_STATE, metricsOf, type LedgerEvent } from '@vaults/shared';
import { blockHashOf, createTestDatabase, deploy, follower, trade, type TestDatabase } from '@vaults/testkit';

// The snapshot reads a vault's events in pages. A trade and a follower event can share
// (blockNumber, logIndex, blockHash) — one identity recorded on two ledgers, which only a producer
// breaking "Copies agree" before it was enforced (or two such copies racing on two queues) can
// leave — so that is no page key: a page ending between the two skipped the second. Each page
// size below puts its boundary exactly on such a tie; the fold must read every event once.

const DEFAULT_PAGE = SNAPSHOT_PAGE_SIZE;

let db: TestDatabase;
let database: Database;
beforeAll(async () => {
  db = await createTestDatabase();
  database = createDatabase(db.url, 2);
});
afterAll(async () => {
  await database.close();
  await db.drop();
});

const strip = <T extends { type: string }>({ type, ...rest }: T) => ({ ...rest, removed: false });

it.each([2, 3, 7, DEFAULT_PAGE])('page size %i: a boundary on a tie skips nothing', async (pageSize) => {
  const vault = 100 + pageSize;
  const { vaultId } = await database.transaction((tx) => recordDeploy(tx, strip(deploy(vault, 1))));
  // pageSize - 1 deposits, then the tie (the follower event sorts first, the trade second), so
  // the first page ends exactly between the two; then a few events after it.
  const before = Array.from({ length: pageSize - 1 }, (_, i) => strip(follower(vault, 2 + (i % 5), 'DEPOSIT', BigInt(1000 + i), { blockNumber: 1 + i })));
  // A block of its own per case (one database for all): the identity is (chainId, blockHash, logIndex).
  const tie = strip(follower(vault, 9, 'DEPOSIT', 5000n, { blockNumber: 1_000_000, blockHash: blockHashOf(1_000_000, vault), logIndex: 4 }));
  const tiedTrade = strip(trade(vault, 777n, { blockNumber: 1_000_000, blockHash: tie.blockHash, logIndex: 4, txHash: tie.txHash }));
  const laterTrade = strip(trade(vault, -300n, { blockNumber: 1_000_001 }));
  const laterWithdrawal = strip(follower(vault, 2, 'WITHDRAW', 10n, { blockNumber: 1_000_002 }));
  await database.transaction((tx) => recordFollowerEvents(tx, [...before, tie, laterWithdrawal]));
  await database.transaction(async (tx) => {
    // Straight into the Trade table: the trade writer would now refuse an identity that the
    // follower ledger holds.
    for (const t of [tiedTrade, laterTrade]) {
      await tx.execute`
        INSERT INTO "Trade" ("chainId", "blockHash", "txHash", "logIndex", "vaultId", "blockNumber", "blockTimestamp", "tokenIn", "tokenOut", "amountIn", "amountOut", "pnl")
        VALUES (${String(t.chainId)}::bigint, ${t.blockHash}, ${t.txHash}, ${String(t.logIndex)}::bigint, ${vaultId}::int, ${String(t.blockNumber)}::bigint,
                ${String(t.blockTimestamp)}::bigint, ${t.tokenIn}, ${t.tokenOut}, ${t.amountIn}::numeric, ${t.amountOut}::numeric, ${t.pnl}::numeric)`;
    }
  });

  const result = await database.transaction((tx) => advanceSnapshot(tx, vaultId, 1000, pageSize));

  const events: LedgerEvent[] = [
    ...[...before, tie].map((e): LedgerEvent => ({ kind: 'DEPOSIT', amount: BigInt(e.amount) })),
    { kind: 'TRADE', pnl: 777n },
    { kind: 'TRADE', pnl: -300n },
    { kind: 'WITHDRAW', amount: 10n },
  ];
  const expected = metricsOf(events.reduce(applyEvent, { ...INITIAL_STATE }));
  expect({ eventsFolded: result.eventsFolded, eventsRead: result.eventsRead, tvl: result.tvl }).toEqual({
    eventsFolded: events.length,
    eventsRead: events.length,
    tvl: expected.tvl.toString(),
  });
  expect(result.roi).toBeCloseTo(expected.roi, 12);
  expect(result.drawdown).toBeCloseTo(expected.drawdown, 12);

  // Nothing new: the next run reads nothing, and in particular not the trade at the tie again.
  const again = await database.transaction((tx) => advanceSnapshot(tx, vaultId, 1000, pageSize));
  expect({ eventsRead: again.eventsRead, eventsFolded: again.eventsFolded }).toEqual({ eventsRead: 0, eventsFolded: events.length });
});
