import { type Database, type FollowerEvent, type TradeExecuted, applyEvent, INITIAL_STATE, metricsOf, type LedgerEvent, type SharePriceState } from '@vaults/shared';

// The snapshot's rows as a fold from scratch would leave them (every live event, in position
// order, with share-price.ts), and the same rows read from the database, in one shape (int8 and
// numeric as text, float8 as numbers) so that tests compare them exactly.

export type Live = TradeExecuted | FollowerEvent;

export interface PointRow {
  blockNumber: string;
  logIndex: string;
  blockHash: string;
  source: number;
  equity: string;
  sharePrice: number;
  peak: number;
  maxDrawdown: number;
  eventsFolded: string;
}

export interface VaultRow {
  tvl: string;
  roi: number;
  drawdown: number;
}

/** Checkpoints every `every` events, the final state and the Vault metrics of a fold from scratch. */
export function foldFromScratch(events: Live[], every: number): { checkpoints: PointRow[]; state: PointRow; vault: VaultRow } {
  const source = (e: Live) => ('pnl' in e ? 1 : 0);
  const sorted = [...events].sort(
    (a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex || (a.blockHash < b.blockHash ? -1 : a.blockHash > b.blockHash ? 1 : 0) || source(a) - source(b),
  );
  let s: SharePriceState = { ...INITIAL_STATE };
  let state: PointRow = { ...row(s, 0), blockNumber: '-1', logIndex: '-1', blockHash: '', source: 1 };
  const checkpoints: PointRow[] = [];
  sorted.forEach((e, i) => {
    s = applyEvent(s, toLedgerEvent(e));
    state = { ...row(s, i + 1), blockNumber: String(e.blockNumber), logIndex: String(e.logIndex), blockHash: e.blockHash, source: source(e) };
    if ((i + 1) % every === 0) checkpoints.push(state);
  });
  const m = metricsOf(s);
  return { checkpoints, state, vault: { tvl: m.tvl.toString(), roi: m.roi, drawdown: m.drawdown } };
}

function row(s: SharePriceState, eventsFolded: number): Omit<PointRow, 'blockNumber' | 'logIndex' | 'blockHash' | 'source'> {
  return { equity: s.equity.toString(), sharePrice: s.sharePrice, peak: s.peak, maxDrawdown: s.maxDrawdown, eventsFolded: String(eventsFolded) };
}

function toLedgerEvent(e: Live): LedgerEvent {
  return 'pnl' in e ? { kind: 'TRADE', pnl: BigInt(e.pnl) } : { kind: e.action, amount: BigInt(e.amount) };
}

export function readCheckpoints(db: Database, vaultId: number): Promise<PointRow[]> {
  return db.sql.query<PointRow>`
    SELECT "blockNumber"::text, "logIndex"::text, "blockHash", "source", "equity"::text, "sharePrice", "peak", "maxDrawdown", "eventsFolded"::text
      FROM "VaultCheckpoint" WHERE "vaultId" = ${vaultId}::int ORDER BY "blockNumber", "logIndex", "blockHash", "source"`;
}

export async function readState(db: Database, vaultId: number): Promise<PointRow & { recomputeFromBlock: string | null }> {
  const [r] = await db.sql.query<PointRow & { recomputeFromBlock: string | null }>`
    SELECT "blockNumber"::text, "logIndex"::text, "blockHash", "source", "equity"::text, "sharePrice", "peak", "maxDrawdown", "eventsFolded"::text,
           "recomputeFromBlock"::text
      FROM "VaultMetricsState" WHERE "vaultId" = ${vaultId}::int`;
  return r!;
}

export async function readVault(db: Database, vaultId: number): Promise<VaultRow> {
  const [r] = await db.sql.query<VaultRow>`SELECT "tvl"::text, "roi", "drawdown" FROM "Vault" WHERE id = ${vaultId}::int`;
  return r!;
}
