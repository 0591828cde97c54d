import type { Tx } from '../platform';

/**
 * Ids of these wallet addresses, creating the users that do not exist yet. Two statements, not
 * one: a concurrent transaction's new row is only visible to a statement that starts after
 * ON CONFLICT DO NOTHING has waited for that transaction to commit. `created` collects the ids
 * this call inserted (a caller may have to take them back).
 */
export async function ensureUsers(tx: Tx, addresses: string[], created?: Set<number>): Promise<Map<string, number>> {
  const unique = [...new Set(addresses)].sort();
  if (!unique.length) return new Map();
  const inserted = await tx.query<{ id: number }>`
    INSERT INTO "User" ("walletAddress")
    SELECT a FROM unnest(${unique}::text[]) AS a ORDER BY a
    ON CONFLICT ("walletAddress") DO NOTHING
    RETURNING id`;
  for (const r of inserted) created?.add(Number(r.id));
  const rows = await tx.query<{ id: number; walletAddress: string }>`
    SELECT id, "walletAddress" FROM "User" WHERE "walletAddress" = ANY(${unique}::text[])`;
  return new Map(rows.map((r) => [r.walletAddress, r.id]));
}
