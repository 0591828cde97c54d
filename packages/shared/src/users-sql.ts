import type { Tx } from './db';

/**
 * Ids of these wallet addresses, creating the users that do not exist yet. Two statements, not
 * one: a concurrent transaction's new row is only visible to a statement that starts after
 * ON CONFLICT DO NOTHING has waited for that transaction to commit.
 */
export async function ensureUsers(tx: Tx, addresses: string[]): Promise<Map<string, number>> {
  const unique = [...new Set(addresses)].sort();
  if (!unique.length) return new Map();
  await tx.$executeRaw`
    INSERT INTO "User" ("walletAddress")
    SELECT a FROM unnest(${unique}::text[]) AS a ORDER BY a
    ON CONFLICT ("walletAddress") DO NOTHING`;
  const rows = await tx.$queryRaw<{ id: number; walletAddress: string }[]>`
    SELECT id, "walletAddress" FROM "User" WHERE "walletAddress" = ANY(${unique}::text[])`;
  return new Map(rows.map((r) => [r.walletAddress, r.id]));
}
