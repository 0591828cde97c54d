import type { Client } from 'pg';
import { createPrisma } from '@vaults/shared';
import { recomputeSnapshot } from '../services/snapshot-worker/src/store';
import { median } from './stats';

// Snapshot cost as one vault's history grows. For each size: a vault with one deposit and
// `history` trades inserted straight into Trade (one INSERT ... SELECT generate_series), one full
// snapshot from the origin, then rounds of a few new trades, each followed by the incremental
// snapshot the worker would run (recomputeSnapshot in one transaction, as the snapshot worker
// calls it). Incremental cost per new trade should not depend on the history.

const NEW_TRADES = 10;
const ROUNDS = 15;
const CHECKPOINT_EVERY = 1000; // the snapshot worker's default (SNAPSHOT_CHECKPOINT_EVERY)

export interface SnapshotCostRow {
  history: number;
  insertSeconds: number;
  fullMs: number;
  fullUsPerTrade: number;
  /** Median incremental snapshot after NEW_TRADES new trades. */
  incrementalMs: number;
  incrementalUsPerNewTrade: number;
  eventsReadPerIncremental: number;
}

export async function measureSnapshotCost(pg: Client, databaseUrl: string, histories: number[]): Promise<SnapshotCostRow[]> {
  const db = createPrisma(databaseUrl, 2);
  const rows: SnapshotCostRow[] = [];
  try {
    for (const [i, history] of histories.entries()) {
      const vaultId = await createVault(pg, 0x5c000000 + i);
      const t0 = Date.now();
      await insertTrades(pg, vaultId, 1, history);
      await pg.query('ANALYZE "Trade"');
      const insertSeconds = (Date.now() - t0) / 1000;

      const snapshot = async () => {
        const s = performance.now();
        const r = await db.$transaction((tx) => recomputeSnapshot(tx, vaultId, CHECKPOINT_EVERY), { timeout: 600_000 });
        return { ms: performance.now() - s, read: r.eventsRead, folded: r.eventsFolded };
      };
      const full = await snapshot();
      if (full.folded !== history + 1) throw new Error(`full snapshot folded ${full.folded} events, expected ${history + 1}`);
      const incremental: { ms: number; read: number }[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        await insertTrades(pg, vaultId, history + 1 + r * NEW_TRADES, NEW_TRADES);
        incremental.push(await snapshot());
      }
      const incMs = median(incremental.map((x) => x.ms));
      rows.push({
        history,
        insertSeconds,
        fullMs: round(full.ms),
        fullUsPerTrade: round((full.ms * 1000) / history),
        incrementalMs: round(incMs),
        incrementalUsPerNewTrade: round((incMs * 1000) / NEW_TRADES),
        eventsReadPerIncremental: median(incremental.map((x) => x.read)),
      });
    }
  } finally {
    await db.$disconnect();
  }
  return rows;
}

async function createVault(pg: Client, n: number): Promise<number> {
  const hex = (x: number, d: number) => '0x' + x.toString(16).padStart(d, '0');
  const { rows: [user] } = await pg.query<{ id: number }>(`INSERT INTO "User" ("walletAddress") VALUES ($1) RETURNING id`, [hex(n, 40)]);
  const { rows: [vault] } = await pg.query<{ id: number }>(
    `INSERT INTO "Vault" ("chainId", "contractAddress", "name", "baseAsset", "leaderId") VALUES (1, $1, 'snapshot cost', $2, $3) RETURNING id`,
    [hex(n, 40), hex(0xba5e, 40), user!.id],
  );
  // Equity first, so that trades move the share price (the fold does its real work).
  await pg.query(
    `INSERT INTO "FollowerEvent" ("chainId", "txHash", "logIndex", "vaultId", "userId", "action", "amount", "blockNumber", "blockTimestamp")
     VALUES (1, $1, 0, $2, $3, 'DEPOSIT', 1000000000000000000000000, 0, 1700000000)`,
    [hex(n, 64), vault!.id, user!.id],
  );
  return vault!.id;
}

/** `count` trades at blocks from..from+count-1, pnl spread over -1000..1000. */
async function insertTrades(pg: Client, vaultId: number, from: number, count: number): Promise<void> {
  await pg.query(
    `INSERT INTO "Trade" ("chainId", "txHash", "logIndex", "vaultId", "blockNumber", "blockTimestamp",
                          "tokenIn", "tokenOut", "amountIn", "amountOut", "pnl")
     SELECT 1, '0xc0ffee' || lpad(to_hex($1::bigint * 100000000 + g), 58, '0'), 0, $1, g, 1700000000 + g,
            '0x00000000000000000000000000000000000000aa', '0x00000000000000000000000000000000000000bb',
            1000000, 990000, ((g * 7919) % 2001) - 1000
       FROM generate_series($2::bigint, $3::bigint) AS g`,
    [vaultId, from, from + count - 1],
  );
}

const round = (x: number) => Math.round(x * 100) / 100;
