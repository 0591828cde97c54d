import { vaultKeyString, type Database, type FoldPoint, type Sql, type Tx, type VaultKey, applyEvent, metricsOf, SNAPSHOT_PAGE_SIZE, type LedgerEvent } from '@vaults/shared';

// The CalculateSnapshot of commit 295c1e2, before its statements were merged: the vault look-up
// outside the transaction, then lock, state upsert, state read, (recompute: checkpoint read and
// delete), event pages, one INSERT per checkpoint, the state update and the Vault update, each
// its own statement. Kept only so that bench/snapshot/snapshot-statements.ts can run it interleaved with
// the current code on one machine in one run; it is not used anywhere else.

type Point = FoldPoint;
type Row = Record<string, string | number | null>;

/** Vault ids by "chainId:address" for the vaults that exist (the baseline's look-up, as it was). */
async function findVaultIds(sql: Sql, keys: VaultKey[]): Promise<Map<string, number>> {
  const unique = [...new Map(keys.map((k) => [vaultKeyString(k), k])).values()];
  if (!unique.length) return new Map();
  const rows = await sql.query<{ id: number; chainId: string; contractAddress: string }>`
    SELECT v.id, v."chainId"::text AS "chainId", v."contractAddress"
      FROM "Vault" v
      JOIN unnest(${unique.map((k) => String(k.chainId))}::text[]::bigint[], ${unique.map((k) => k.vaultAddress)}::text[]) AS k(c, a)
        ON v."chainId" = k.c AND v."contractAddress" = k.a`;
  return new Map(rows.map((r) => [vaultKeyString({ chainId: Number(r.chainId), vaultAddress: r.contractAddress }), r.id]));
}

export async function baselineSnapshot(db: Database, chainId: number, vaultAddress: string, checkpointEvery: number): Promise<void> {
  const [vaultId] = (await findVaultIds(db.sql, [{ chainId, vaultAddress }])).values();
  if (vaultId === undefined) return;
  await db.transaction(async (tx) => {
    let state = await start(tx, vaultId);
    for (;;) {
      const page = await tx.query<Row>`
        SELECT * FROM (
          SELECT 'TRADE' AS kind, "pnl"::text AS value, "blockNumber", "logIndex", "blockHash", 1 AS source FROM "Trade"
           WHERE "vaultId" = ${vaultId}::int AND ("blockNumber", "logIndex") >= (${String(state.blockNumber)}::bigint, ${String(state.logIndex)}::bigint)
             AND ("blockNumber", "logIndex", "blockHash", 1) > (${String(state.blockNumber)}::bigint, ${String(state.logIndex)}::bigint, ${state.blockHash}, ${state.source}::int)
          UNION ALL
          SELECT "action"::text AS kind, "amount"::text AS value, "blockNumber", "logIndex", "blockHash", 0 AS source FROM "FollowerEvent"
           WHERE "vaultId" = ${vaultId}::int AND NOT "removed" AND ("blockNumber", "logIndex") >= (${String(state.blockNumber)}::bigint, ${String(state.logIndex)}::bigint)
             AND ("blockNumber", "logIndex", "blockHash", 0) > (${String(state.blockNumber)}::bigint, ${String(state.logIndex)}::bigint, ${state.blockHash}, ${state.source}::int)
        ) AS events ORDER BY "blockNumber", "logIndex", "blockHash", source LIMIT ${SNAPSHOT_PAGE_SIZE}::int`;
      for (const e of page) {
        const event: LedgerEvent = e.kind === 'TRADE' ? { kind: 'TRADE', pnl: BigInt(e.value!) } : { kind: e.kind as 'DEPOSIT', amount: BigInt(e.value!) };
        const position = { blockNumber: BigInt(e.blockNumber!), logIndex: BigInt(e.logIndex!), blockHash: String(e.blockHash), source: Number(e.source) };
        state = { ...applyEvent(state, event), ...position, eventsFolded: state.eventsFolded + 1n };
        if (state.eventsFolded % BigInt(checkpointEvery) === 0n) await checkpoint(tx, vaultId, state);
      }
      if (page.length < SNAPSHOT_PAGE_SIZE) break;
    }
    await finish(tx, vaultId, state);
  });
}

async function start(tx: Tx, vaultId: number): Promise<Point> {
  // lockVaultForSnapshot as it was (key space VAULT_METRICS = 1 of lock-protocol.ts).
  await tx.query`SELECT pg_advisory_xact_lock(1::int, ${vaultId}::int)::text AS locked`;
  await tx.execute`INSERT INTO "VaultMetricsState" ("vaultId") VALUES (${vaultId}::int) ON CONFLICT DO NOTHING`;
  const [row] = await tx.query<Row>`
    SELECT "blockNumber", "logIndex", "blockHash", "source", "equity"::text AS equity, "sharePrice", "peak", "maxDrawdown",
           "eventsFolded", "recomputeFromBlock", "recomputeFromLogIndex"
      FROM "VaultMetricsState" WHERE "vaultId" = ${vaultId}::int`;
  if (row!.recomputeFromBlock === null) return point(row!);
  const [b, l] = [String(row!.recomputeFromBlock), String(row!.recomputeFromLogIndex)];
  const [cp] = await tx.query<Row>`
    SELECT "blockNumber", "logIndex", "blockHash", "source", "equity"::text AS equity, "sharePrice", "peak", "maxDrawdown", "eventsFolded"
      FROM "VaultCheckpoint" WHERE "vaultId" = ${vaultId}::int AND ("blockNumber", "logIndex") < (${b}::bigint, ${l}::bigint)
     ORDER BY "blockNumber" DESC, "logIndex" DESC, "blockHash" DESC, "source" DESC LIMIT 1`;
  await tx.execute`DELETE FROM "VaultCheckpoint" WHERE "vaultId" = ${vaultId}::int AND ("blockNumber", "logIndex") >= (${b}::bigint, ${l}::bigint)`;
  return cp ? point(cp) : { blockNumber: -1n, logIndex: -1n, blockHash: '', source: 0, equity: 0n, sharePrice: 1, peak: 1, maxDrawdown: 0, eventsFolded: 0n };
}

async function checkpoint(tx: Tx, vaultId: number, s: Point): Promise<void> {
  await tx.execute`
    INSERT INTO "VaultCheckpoint" ("vaultId", "blockNumber", "logIndex", "blockHash", "source", "equity", "sharePrice", "peak", "maxDrawdown", "eventsFolded")
    VALUES (${vaultId}::int, ${String(s.blockNumber)}::bigint, ${String(s.logIndex)}::bigint, ${s.blockHash}, ${s.source}::int,
            ${s.equity.toString()}::numeric, ${s.sharePrice}::float8, ${s.peak}::float8, ${s.maxDrawdown}::float8, ${String(s.eventsFolded)}::bigint)
    ON CONFLICT DO NOTHING`;
}

async function finish(tx: Tx, vaultId: number, s: Point): Promise<void> {
  await tx.execute`
    UPDATE "VaultMetricsState"
       SET "blockNumber" = ${String(s.blockNumber)}::bigint, "logIndex" = ${String(s.logIndex)}::bigint, "blockHash" = ${s.blockHash}, "source" = ${s.source}::int,
           "equity" = ${s.equity.toString()}::numeric, "sharePrice" = ${s.sharePrice}::float8, "peak" = ${s.peak}::float8,
           "maxDrawdown" = ${s.maxDrawdown}::float8, "eventsFolded" = ${String(s.eventsFolded)}::bigint,
           "recomputeFromBlock" = NULL, "recomputeFromLogIndex" = NULL, "updatedAt" = now()
     WHERE "vaultId" = ${vaultId}::int`;
  const m = metricsOf(s);
  await tx.execute`
    UPDATE "Vault" SET "tvl" = ${m.tvl.toString()}::numeric, "roi" = ${m.roi}::float8, "drawdown" = ${m.drawdown}::float8, "updatedAt" = now()
     WHERE id = ${vaultId}::int`;
}

function point(r: Row): Point {
  return {
    blockNumber: BigInt(r.blockNumber!), logIndex: BigInt(r.logIndex!), blockHash: String(r.blockHash), source: Number(r.source),
    equity: BigInt(r.equity!), sharePrice: Number(r.sharePrice), peak: Number(r.peak), maxDrawdown: Number(r.maxDrawdown), eventsFolded: BigInt(r.eventsFolded!),
  };
}
