import type { Client } from 'pg';
import { createDatabase, markRecomputeFrom, advanceSnapshot } from '@vaults/shared';
import { median } from '../lib/stats';

// Snapshot cost as one vault's history grows. For each size: a vault with one deposit and
// `history` trades inserted straight into Trade (one INSERT ... SELECT generate_series), one full
// snapshot from the origin, then rounds of a few new trades, each followed by the incremental
// snapshot the worker would run (advanceSnapshot in one transaction of @vaults/shared's
// createDatabase, as the snapshot worker calls it). Incremental cost per new trade should not depend on the history.
// The fold keeps the vault series (hourly buckets; trades are 1 s apart, so 100k trades span 28
// buckets): each row also counts the series rows an incremental run writes, and ends with two
// late trades, one far back (after the first trade: the fold resumes from the origin) and one
// recent (in the last checkpoint interval), each with its snapshot's time, events read and rows.

const NEW_TRADES = 10;
const ROUNDS = 25;
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
  /** Median VaultSeries rows an incremental run writes. */
  seriesRowsPerIncremental: number;
  /** The snapshot after one late trade right after the first trade. */
  lateFarBack: LateEventCost;
  /** The snapshot after one late trade 5 trades before the end. */
  lateRecent: LateEventCost;
}

export interface LateEventCost {
  ms: number;
  eventsRead: number;
  seriesRows: number;
}

export async function measureSnapshotCost(pg: Client, databaseUrl: string, histories: number[]): Promise<SnapshotCostRow[]> {
  const db = createDatabase(databaseUrl, 2);
  const snapshot = async (vaultId: number) => {
    const s = performance.now();
    const r = await db.transaction((tx) => advanceSnapshot(tx, vaultId, CHECKPOINT_EVERY));
    return { ms: performance.now() - s, read: r.eventsRead, folded: r.eventsFolded, seriesRows: r.seriesRowsWritten };
  };
  try {
    // Warm-up (connections, JIT), so that the first size measured does not pay for it.
    const warm = await createVault(pg, 0x5c0fffff);
    await insertTrades(pg, warm, 1, 100);
    for (let i = 0; i < 5; i++) await snapshot(warm);

    const vaults: { history: number; vaultId: number; insertSeconds: number; fullMs: number; incremental: { ms: number; read: number; seriesRows: number }[] }[] = [];
    for (const [i, history] of histories.entries()) {
      const vaultId = await createVault(pg, 0x5c000000 + i);
      const t0 = Date.now();
      await insertTrades(pg, vaultId, 1, history);
      await pg.query('ANALYZE "Trade"');
      const insertSeconds = (Date.now() - t0) / 1000;
      const full = await snapshot(vaultId);
      if (full.folded !== history + 1) throw new Error(`full snapshot folded ${full.folded} events, expected ${history + 1}`);
      vaults.push({ history, vaultId, insertSeconds, fullMs: full.ms, incremental: [] });
    }
    // Rounds interleave the sizes, so that the machine's noise falls on all of them alike.
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of vaults) {
        await insertTrades(pg, v.vaultId, v.history + 1 + r * NEW_TRADES, NEW_TRADES);
        v.incremental.push(await snapshot(v.vaultId));
      }
    }
    const late = async (vaultId: number, block: number): Promise<LateEventCost> => {
      await insertTrades(pg, vaultId, block, 1, 1);
      // What the trade writer does after inserting at or before the folded position.
      await db.transaction((tx) => markRecomputeFrom(tx, [{ vaultId, blockNumber: block, logIndex: 1 }]));
      const r = await snapshot(vaultId);
      return { ms: round(r.ms), eventsRead: r.read, seriesRows: r.seriesRows };
    };
    const lateCosts = new Map<number, { farBack: LateEventCost; recent: LateEventCost }>();
    for (const v of vaults) {
      const last = v.history + ROUNDS * NEW_TRADES;
      lateCosts.set(v.vaultId, { farBack: await late(v.vaultId, 1), recent: await late(v.vaultId, last - 5) });
    }
    return vaults.map((v) => {
      const incMs = median(v.incremental.map((x) => x.ms));
      return {
        history: v.history,
        insertSeconds: v.insertSeconds,
        fullMs: round(v.fullMs),
        fullUsPerTrade: round((v.fullMs * 1000) / v.history),
        incrementalMs: round(incMs),
        incrementalUsPerNewTrade: round((incMs * 1000) / NEW_TRADES),
        eventsReadPerIncremental: median(v.incremental.map((x) => x.read)),
        seriesRowsPerIncremental: median(v.incremental.map((x) => x.seriesRows)),
        lateFarBack: lateCosts.get(v.vaultId)!.farBack,
        lateRecent: lateCosts.get(v.vaultId)!.recent,
      };
    });
  } finally {
    await db.close();
  }
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
    `INSERT INTO "FollowerEvent" ("chainId", "blockHash", "txHash", "logIndex", "vaultId", "userId", "action", "amount", "blockNumber", "blockTimestamp")
     VALUES (1, $1, $1, 0, $2, $3, 'DEPOSIT', 1000000000000000000000000, 0, 1700000000)`,
    [hex(n, 64), vault!.id, user!.id],
  );
  return vault!.id;
}

/** `count` trades at blocks from..from+count-1 (at `logIndex`: 1 puts a late one beside an earlier trade), pnl spread over -1000..1000. */
async function insertTrades(pg: Client, vaultId: number, from: number, count: number, logIndex = 0): Promise<void> {
  await pg.query(
    `INSERT INTO "Trade" ("chainId", "blockHash", "txHash", "logIndex", "vaultId", "blockNumber", "blockTimestamp",
                          "tokenIn", "tokenOut", "amountIn", "amountOut", "pnl")
     SELECT 1, '0xc0ffee' || lpad(to_hex($1::bigint * 100000000 + g), 58, '0'), '0xc0ffee' || lpad(to_hex($1::bigint * 100000000 + g), 58, '0'), $4::bigint, $1, g, 1700000000 + g,
            '0x00000000000000000000000000000000000000aa', '0x00000000000000000000000000000000000000bb',
            1000000, 990000, ((g * 7919) % 2001) - 1000
       FROM generate_series($2::bigint, $3::bigint) AS g`,
    [vaultId, from, from + count - 1, logIndex],
  );
}

const round = (x: number) => Math.round(x * 100) / 100;
