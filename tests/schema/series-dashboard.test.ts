import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { addr, createTestDatabaseClient, type TestDatabaseClient } from '@vaults/testkit';
import { BASE, baseKustomization, type Obj } from '../deploy/support/repo';

// The vault-series dashboard (k8s/base/dashboards/vaults-series.json) reads Postgres, not
// Prometheus: it is shipped in a ConfigMap of its own, and each of its SQL queries (Grafana's
// macros and variables replaced as Grafana would) runs against a migrated database holding a
// series and returns rows. Grafana itself is not available here.

const FILE = 'dashboards/vaults-series.json';
const dashboard = JSON.parse(readFileSync(join(BASE, FILE), 'utf8')) as Obj;
const panels = dashboard.panels as Obj[];
const queries = [
  ...panels.flatMap((p) => ((p.targets ?? []) as Obj[]).map((t) => ({ title: p.title as string, sql: t.rawSql as string }))),
  ...(dashboard.templating.list as Obj[]).filter((v) => v.type === 'query').map((v) => ({ title: `variable ${v.name}`, sql: v.query as string })),
];

const H = 3600;
const AT = 1_700_006_400; // a multiple of the hour
let db: TestDatabaseClient;
let pg: Client;
let vaultId: number;

beforeAll(async () => {
  db = await createTestDatabaseClient();
  pg = db.pg;
  const { rows: [u] } = await pg.query<{ id: number }>(`INSERT INTO "User" ("walletAddress") VALUES ($1) RETURNING id`, [addr(1)]);
  const { rows: [v] } = await pg.query<{ id: number }>(
    `INSERT INTO "Vault" ("chainId", "contractAddress", "name", "baseAsset", "leaderId") VALUES (1, $1, 'Alpha', $2, $3) RETURNING id`,
    [addr(2), addr(3), u!.id],
  );
  vaultId = v!.id;
  for (const [i, price] of [1.0, 1.1, 1.05].entries()) {
    await pg.query(
      `INSERT INTO "VaultSeries" ("vaultId", "bucketStart", "sharePrice", "tvl", "cumulativePnl", "netDeposits", "maxDrawdown", "followerCount", "eventsFolded")
       VALUES ($1, $2, $3, 1000, 0, 1000, 0, 2, $4)`,
      [vaultId, AT - (2 - i) * H, price, i + 1],
    );
  }
});
afterAll(async () => {
  await db?.drop();
});

/** Grafana's Postgres macros and this dashboard's variables, for a 30-day range ending at AT. */
function substitute(sql: string): string {
  return sql
    .replace(/\$__unixEpochFilter\(([^)]+)\)/g, `$1 BETWEEN ${AT - 30 * 86_400} AND ${AT}`)
    .replace(/\$__unixEpochTo\(\)/g, String(AT))
    .replace(/\$\{?vault(:\w+)?\}?/g, String(vaultId));
}

it('ships in a ConfigMap of its own that Grafana picks up', () => {
  const generators = baseKustomization().configMapGenerator as Obj[];
  const g = generators.find((x) => (x.files as string[] | undefined)?.includes(FILE));
  expect(g?.options?.labels?.grafana_dashboard).toBe('1');
  expect(g?.options?.disableNameSuffixHash).toBe(true);
});

it('is one Postgres dashboard with a share-price panel repeated per vault', () => {
  expect(dashboard.uid).toBe('vaults-series');
  expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
  const ds = (dashboard.templating.list as Obj[]).find((v) => v.type === 'datasource')!;
  expect(ds.query).toBe('grafana-postgresql-datasource');
  for (const p of panels.filter((x) => x.type !== 'row')) {
    for (const t of p.targets as Obj[]) expect(t.datasource).toEqual({ type: 'grafana-postgresql-datasource', uid: `\${${ds.name}}` });
  }
  const perVault = panels.find((p) => p.repeat === 'vault');
  expect(perVault?.targets[0].rawSql).toContain('"VaultSeries"');
});

it.each(queries.map((q) => [q.title, q.sql]))('%s: runs on the migrated database and returns rows', async (_title, sql) => {
  const { rows } = await pg.query(substitute(sql));
  expect(rows.length).toBeGreaterThan(0);
});
