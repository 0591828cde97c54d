import { Client } from 'pg';
import type { ExpectedState, ExpectedVault } from './reference';

/** The database's contract tables, read into the reference model's shape. */
export async function readState(databaseUrl: string): Promise<ExpectedState> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const users = await c.query<{ walletAddress: string }>('SELECT "walletAddress" FROM "User"');
    const vaults = await c.query<{ key: string; status: ExpectedVault['status']; leader: string; name: string; tvl: string; roi: number; drawdown: number }>(
      `SELECT v."chainId"::text || ':' || v."contractAddress" AS key, v.status::text AS status, u."walletAddress" AS leader,
              v.name, v.tvl::text AS tvl, v.roi, v.drawdown
         FROM "Vault" v JOIN "User" u ON u.id = v."leaderId"`,
    );
    const trades = await c.query<{ key: string }>(`SELECT "chainId"::text || ':' || COALESCE("blockHash", 'v1:' || "txHash") || ':' || "logIndex"::text AS key FROM "Trade"`);
    const subs = await c.query<{ key: string; amount: string }>(
      `SELECT v."chainId"::text || ':' || v."contractAddress" || ':' || u."walletAddress" AS key, s."depositedAmount"::text AS amount
         FROM "FollowerSubscription" s JOIN "Vault" v ON v.id = s."vaultId" JOIN "User" u ON u.id = s."userId"`,
    );
    return {
      users: new Set(users.rows.map((r) => r.walletAddress)),
      vaults: new Map(vaults.rows.map((r) => [r.key, { status: r.status, leader: r.leader, name: r.name, tvl: BigInt(r.tvl), roi: r.roi, drawdown: r.drawdown }])),
      trades: new Set(trades.rows.map((r) => r.key)),
      subscriptions: new Map(subs.rows.map((r) => [r.key, BigInt(r.amount)])),
    };
  } finally {
    await c.end();
  }
}

/** Differences between two states, as readable lines; empty when they agree (1e-9 on floats). */
export function diffStates(expected: ExpectedState, actual: ExpectedState, tolerance = 1e-9): string[] {
  const out: string[] = [];
  const setDiff = (what: string, a: Set<string>, b: Set<string>) => {
    for (const x of a) if (!b.has(x)) out.push(`${what} missing: ${x}`);
    for (const x of b) if (!a.has(x)) out.push(`${what} unexpected: ${x}`);
  };
  setDiff('user', expected.users, actual.users);
  setDiff('trade', expected.trades, actual.trades);
  setDiff('vault', new Set(expected.vaults.keys()), new Set(actual.vaults.keys()));
  setDiff('subscription', new Set(expected.subscriptions.keys()), new Set(actual.subscriptions.keys()));
  for (const [k, e] of expected.vaults) {
    const a = actual.vaults.get(k);
    if (!a) continue;
    if (a.status !== e.status) out.push(`vault ${k} status ${a.status} != ${e.status}`);
    if (a.leader !== e.leader) out.push(`vault ${k} leader ${a.leader} != ${e.leader}`);
    if (a.name !== e.name) out.push(`vault ${k} name ${a.name} != ${e.name}`);
    if (a.tvl !== e.tvl) out.push(`vault ${k} tvl ${a.tvl} != ${e.tvl}`);
    if (!(Math.abs(a.roi - e.roi) <= tolerance)) out.push(`vault ${k} roi ${a.roi} != ${e.roi}`);
    if (!(Math.abs(a.drawdown - e.drawdown) <= tolerance)) out.push(`vault ${k} drawdown ${a.drawdown} != ${e.drawdown}`);
  }
  for (const [k, e] of expected.subscriptions) {
    const a = actual.subscriptions.get(k);
    if (a !== undefined && a !== e) out.push(`subscription ${k} ${a} != ${e}`);
  }
  return out;
}
