import { onchainTable, primaryKey } from 'ponder';

// What the side-by-side asks of Ponder: a vault table, a trade table and a balance per
// (vault, follower). Less than our workers write (no exactly-once ledger across re-deliveries,
// no share-price metrics), which the bench's report says.

export const vault = onchainTable('vault', (t) => ({
  address: t.hex().primaryKey(),
  leader: t.hex().notNull(),
  name: t.text().notNull(),
  trades: t.integer().notNull(),
  pnl: t.bigint().notNull(),
}));

export const trade = onchainTable('trade', (t) => ({
  id: t.text().primaryKey(),
  vault: t.hex().notNull(),
  blockNumber: t.bigint().notNull(),
  logIndex: t.integer().notNull(),
  amountIn: t.bigint().notNull(),
  amountOut: t.bigint().notNull(),
  pnl: t.bigint().notNull(),
}));

export const balance = onchainTable(
  'balance',
  (t) => ({
    vault: t.hex().notNull(),
    follower: t.hex().notNull(),
    amount: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.vault, table.follower] }) }),
);
