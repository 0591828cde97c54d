import type { Recorded } from './copies';
import type { Tx } from './db';
import type { EventIdentity } from './identity';
import { QUEUES } from './queues';

// SQL that several workers share. Every statement is a tagged template: values travel as bound
// parameters, never spliced into the text. Arrays go in as text[] and are cast in SQL, which
// keeps 2^256-sized amounts exact and lets one statement carry a whole batch.

/** Advisory-lock namespace of a vault's metrics (two-int form: namespace, vault id). */
export const METRICS_LOCK_NAMESPACE = 1;

export interface VaultKey {
  chainId: number;
  vaultAddress: string;
}

/** Vault ids by "chainId:address" for the vaults that exist. */
export async function findVaultIds(tx: Pick<Tx, "$queryRaw">, keys: VaultKey[]): Promise<Map<string, number>> {
  const unique = [...new Map(keys.map((k) => [vaultKeyString(k), k])).values()];
  if (!unique.length) return new Map();
  const rows = await tx.$queryRaw<{ id: number; key: string }[]>`
    SELECT v.id, v."chainId"::text || ':' || v."contractAddress" AS key
      FROM "Vault" v
      JOIN unnest(${unique.map((k) => String(k.chainId))}::text[]::bigint[], ${unique.map((k) => k.vaultAddress)}::text[]) AS k(c, a)
        ON v."chainId" = k.c AND v."contractAddress" = k.a`;
  return new Map(rows.map((r) => [r.key, r.id]));
}

/**
 * Where these identities are recorded, on any queue's ledger, with the fields every ledger
 * keeps (block, timestamp, vault). For events of vaults not known yet, which cannot be upserted:
 * an identity recorded anywhere makes such a copy a conflicting one.
 */
export async function findRecorded(tx: Pick<Tx, '$queryRaw'>, events: EventIdentity[]): Promise<Map<string, Recorded>> {
  const rows = await tx.$queryRaw<{ k: string; queue: string; blockNumber: string; blockTimestamp: string; vaultAddress: string | null }[]>`
    WITH x AS (
      SELECT * FROM unnest(${events.map((e) => String(e.chainId))}::text[]::bigint[], ${events.map((e) => e.txHash)}::text[],
                           ${events.map((e) => String(e.logIndex))}::text[]::bigint[]) AS x(c, h, l)
    )
    SELECT x.c::text || ':' || x.h || ':' || x.l::text AS k, r.*
      FROM x CROSS JOIN LATERAL (
        SELECT ${QUEUES.trade.name}::text AS queue, t."blockNumber"::text AS "blockNumber",
               t."blockTimestamp"::text AS "blockTimestamp", t."vaultAddress"
          FROM "TradeEvent" t WHERE (t."chainId", t."txHash", t."logIndex") = (x.c, x.h, x.l)
        UNION ALL
        SELECT ${QUEUES.follower.name}::text, f."blockNumber"::text, f."blockTimestamp"::text, v."contractAddress"
          FROM "FollowerEvent" f JOIN "Vault" v ON v.id = f."vaultId"
         WHERE (f."chainId", f."txHash", f."logIndex") = (x.c, x.h, x.l)
        UNION ALL
        SELECT ${QUEUES.vault.name}::text, d."blockNumber"::text, d."blockTimestamp"::text, d."vaultAddress"
          FROM "VaultDeployEvent" d WHERE (d."chainId", d."txHash", d."logIndex") = (x.c, x.h, x.l)
      ) AS r`;
  const found = new Map<string, Recorded>();
  for (const r of rows) {
    const fields = { blockNumber: r.blockNumber, blockTimestamp: r.blockTimestamp, vaultAddress: r.vaultAddress };
    found.set(r.k, { queue: r.queue, removed: false, inserted: false, fields, row: r });
  }
  return found;
}

export function vaultKeyString(k: VaultKey): string {
  return `${k.chainId}:${k.vaultAddress}`;
}

/**
 * Writers of a vault's events hold this shared lock until commit; the snapshot holds it
 * exclusively while it folds. So a snapshot never misses an event committed under its feet,
 * and writers of one vault never wait for each other. Taken in id order (no deadlocks).
 */
export async function lockVaultMetricsShared(tx: Tx, vaultIds: number[]): Promise<void> {
  const ids = [...new Set(vaultIds)].sort((a, b) => a - b);
  if (!ids.length) return;
  await tx.$queryRaw`
    SELECT count(pg_advisory_xact_lock_shared(${METRICS_LOCK_NAMESPACE}::int, id))::int AS n
      FROM (SELECT unnest(${ids.map(String)}::text[]::int[]) AS id ORDER BY 1) AS ordered`;
}

export interface ChangedPosition {
  vaultId: number;
  blockNumber: number | bigint;
  logIndex: number | bigint;
}

/**
 * An event inserted or removed at or before the position a vault's metrics were folded to
 * invalidates them from that position on: remember the earliest such position, and the next
 * snapshot resumes from the newest checkpoint before it. Events after the folded position need
 * nothing: the next snapshot reads them anyway.
 */
export async function invalidateMetricsFrom(tx: Tx, changes: ChangedPosition[]): Promise<void> {
  const earliest = new Map<number, ChangedPosition>();
  for (const c of changes) {
    const e = earliest.get(c.vaultId);
    if (!e || BigInt(c.blockNumber) < BigInt(e.blockNumber) || (BigInt(c.blockNumber) === BigInt(e.blockNumber) && BigInt(c.logIndex) < BigInt(e.logIndex))) {
      earliest.set(c.vaultId, c);
    }
  }
  if (!earliest.size) return;
  const rows = [...earliest.values()];
  await tx.$executeRaw`
    UPDATE "VaultMetricsState" s
       SET "recomputeFromBlock" = c.b, "recomputeFromLogIndex" = c.l
      FROM unnest(${rows.map((r) => String(r.vaultId))}::text[]::int[],
                  ${rows.map((r) => String(r.blockNumber))}::text[]::bigint[],
                  ${rows.map((r) => String(r.logIndex))}::text[]::bigint[]) AS c(v, b, l)
     WHERE s."vaultId" = c.v
       AND (s."blockNumber", s."logIndex") >= (c.b, c.l)
       AND (s."recomputeFromBlock" IS NULL OR (s."recomputeFromBlock", s."recomputeFromLogIndex") > (c.b, c.l))`;
}
