import { diffStates, expectedState, readState, type AnyEvent, type ExpectedState } from '@vaults/testkit';
import { pg } from './deps';
import { identityOf } from './workload';

export interface Effects {
  /** Rows the contract says must exist: users + vaults + trades + subscriptions. */
  expected: number;
  /** Of those, rows present with exactly the expected values. */
  found: number;
  /** Expected rows missing, or a subscription below its balance (an effect that never landed). */
  lost: number;
  /** Rows that must not exist, or a subscription above its balance (an effect applied twice), or ledger rows past one per identity. */
  doubled: number;
  /** Vault rows with a wrong status, leader, name or metrics. */
  wrong: number;
  diff: string[];
}

function count(s: ExpectedState): number {
  return s.users.size + s.vaults.size + s.trades.size + s.subscriptions.size;
}

/** Compares the drained database with docs/CONTRACT.md's state of the delivered events. */
export async function compare(databaseUrl: string, delivered: AnyEvent[]): Promise<Effects> {
  const expected = expectedState(delivered);
  const actual = await readState(databaseUrl);
  const diff = diffStates(expected, actual);
  let lost = 0;
  let doubled = 0;
  let wrong = 0;
  let found = 0;
  for (const u of expected.users) {
    if (actual.users.has(u)) found++;
    else lost++;
  }
  for (const u of actual.users) if (!expected.users.has(u)) doubled++;
  for (const t of expected.trades) {
    if (actual.trades.has(t)) found++;
    else lost++;
  }
  for (const t of actual.trades) if (!expected.trades.has(t)) doubled++;
  for (const [k, amount] of expected.subscriptions) {
    const a = actual.subscriptions.get(k);
    if (a === undefined || a < amount) lost++;
    else if (a > amount) doubled++;
    else found++;
  }
  for (const k of actual.subscriptions.keys()) if (!expected.subscriptions.has(k)) doubled++;
  for (const [k, v] of expected.vaults) {
    const a = actual.vaults.get(k);
    if (!a) lost++;
    else if (
      a.status !== v.status || a.leader !== v.leader || a.name !== v.name || a.tvl !== v.tvl ||
      !(Math.abs(a.roi - v.roi) <= 1e-9) || !(Math.abs(a.drawdown - v.drawdown) <= 1e-9)
    )
      wrong++;
    else found++;
  }
  for (const k of actual.vaults.keys()) if (!expected.vaults.has(k)) doubled++;

  // The ledgers hold one row per identity; more would be an event recorded twice.
  const ledger = await ledgerCounts(databaseUrl);
  const vaultKeys = new Set(delivered.filter((e) => e.type === 'deploy').map((e) => `${e.chainId}:${e.vaultAddress.toLowerCase()}`));
  const ids = (type: AnyEvent['type']) =>
    new Set(delivered.filter((e) => e.type === type && (type === 'deploy' || vaultKeys.has(`${e.chainId}:${e.vaultAddress.toLowerCase()}`))).map(identityOf)).size;
  const ledgerExtra =
    Math.max(0, ledger.deploys - ids('deploy')) + Math.max(0, ledger.trades - ids('trade')) + Math.max(0, ledger.followers - ids('follower'));
  if (ledgerExtra) diff.push(`ledger rows past one per identity: ${ledgerExtra} (${JSON.stringify(ledger)})`);
  doubled += ledgerExtra;
  return { expected: count(expected), found, lost, doubled, wrong, diff };
}

export async function ledgerCounts(databaseUrl: string): Promise<{ deploys: number; trades: number; followers: number }> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ d: number; t: number; f: number }>(
      `SELECT (SELECT count(*) FROM "VaultDeployEvent")::int AS d, (SELECT count(*) FROM "TradeEvent")::int AS t,
              (SELECT count(*) FROM "FollowerEvent")::int AS f`,
    );
    return { deploys: rows[0]!.d, trades: rows[0]!.t, followers: rows[0]!.f };
  } finally {
    await c.end();
  }
}

/** Runs a query on a database of the suite (one client, closed after). */
export async function sql<R extends Record<string, unknown>>(databaseUrl: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}
