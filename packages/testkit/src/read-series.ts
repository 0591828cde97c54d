import { Client } from 'pg';
import type { ExpectedSeries } from './reference-series';

/** The VaultSeries table, in the reference model's shape (every vault, with or without rows). */
export async function readSeries(databaseUrl: string): Promise<ExpectedSeries> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const vaults = await c.query<{ key: string }>(`SELECT "chainId"::text || ':' || "contractAddress" AS key FROM "Vault"`);
    const rows = await c.query<{ key: string; bucketStart: string; sharePrice: number; tvl: string; cumulativePnl: string; netDeposits: string;
                                 maxDrawdown: number; followerCount: number; eventsFolded: string }>(
      `SELECT v."chainId"::text || ':' || v."contractAddress" AS key, s."bucketStart"::text AS "bucketStart", s."sharePrice",
              s.tvl::text AS tvl, s."cumulativePnl"::text AS "cumulativePnl", s."netDeposits"::text AS "netDeposits",
              s."maxDrawdown", s."followerCount", s."eventsFolded"::text AS "eventsFolded"
         FROM "VaultSeries" s JOIN "Vault" v ON v.id = s."vaultId" ORDER BY key, s."bucketStart"`,
    );
    const out: ExpectedSeries = new Map(vaults.rows.map((v) => [v.key, []]));
    for (const r of rows.rows) {
      const list = out.get(r.key) ?? [];
      list.push({
        bucketStart: Number(r.bucketStart), sharePrice: r.sharePrice, tvl: BigInt(r.tvl), cumulativePnl: BigInt(r.cumulativePnl),
        netDeposits: BigInt(r.netDeposits), maxDrawdown: r.maxDrawdown, followerCount: r.followerCount, eventsFolded: Number(r.eventsFolded),
      });
      out.set(r.key, list);
    }
    return out;
  } finally {
    await c.end();
  }
}

/** Bucket-by-bucket differences, as readable lines; empty when they agree (integers exactly, ratios within `tolerance`). */
export function diffSeries(expected: ExpectedSeries, actual: ExpectedSeries, tolerance = 1e-9): string[] {
  const out: string[] = [];
  for (const k of actual.keys()) if (!expected.has(k)) out.push(`series of unexpected vault ${k}`);
  for (const [k, rows] of expected) {
    const got = new Map((actual.get(k) ?? []).map((r) => [r.bucketStart, r]));
    for (const b of got.keys()) if (!rows.some((r) => r.bucketStart === b)) out.push(`series ${k} bucket ${b}: unexpected`);
    for (const e of rows) {
      const a = got.get(e.bucketStart);
      if (!a) {
        out.push(`series ${k} bucket ${e.bucketStart}: missing`);
        continue;
      }
      for (const f of ['tvl', 'cumulativePnl', 'netDeposits', 'followerCount', 'eventsFolded'] as const) {
        if (a[f] !== e[f]) out.push(`series ${k} bucket ${e.bucketStart} ${f} ${a[f]} != ${e[f]}`);
      }
      for (const f of ['sharePrice', 'maxDrawdown'] as const) {
        if (!close(a[f], e[f], tolerance)) out.push(`series ${k} bucket ${e.bucketStart} ${f} ${a[f]} != ${e[f]}`);
      }
    }
  }
  return out;
}

/** Within tolerance, relative to the value past 1 (a share price can grow large); equal infinities agree. */
function close(a: number, e: number, tolerance: number): boolean {
  return a === e || Object.is(a, e) || Math.abs(a - e) <= tolerance * Math.max(1, Math.abs(e));
}

