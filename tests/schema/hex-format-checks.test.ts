import { Client } from 'pg';
import { createTestDatabaseClient, type TestDatabaseClient } from '@vaults/testkit';

// The hex-format checks (Trade's txHash and blockHash, User's walletAddress, Vault's
// contractAddress) accept exactly what '^0x[0-9a-f]{N}$' accepts (migration
// 20261207140000_hex_checks_without_counted_repetition writes them without the counted
// repetition, which Postgres' regex engine matches ~10x slower): each check's expression, as the
// database stores it, evaluated against that regex on values around every edge.

let db: TestDatabaseClient;
let pg: Client;

beforeAll(async () => {
  db = await createTestDatabaseClient();
  pg = db.pg;
});

afterAll(async () => {
  await db.drop();
});

function candidates(digits: number): string[] {
  const ok = '0x' + 'a0'.repeat(digits / 2);
  return [
    ok, '0x' + '0123456789abcdef'.repeat(8).slice(0, digits), ok.slice(0, -1), ok + '0', ok + 'g', ok.toUpperCase(), '0X' + ok.slice(2),
    ok + '\n', '\n' + ok, ok.slice(0, -1) + 'é', ok.slice(0, -1) + ' ', ' ' + ok.slice(1), '0x', '', 'x' + ok, ok.slice(0, -2) + '0x',
    '1x' + ok.slice(2), '0x' + 'f'.repeat(digits - 1) + 'F', '0x' + 'ab'.repeat(digits), '0x' + '€'.repeat(digits),
  ];
}

const CHECKS = [
  { table: 'Trade', constraint: 'Trade_txHash_format', digits: 64 },
  { table: 'Trade', constraint: 'Trade_blockHash_format', digits: 64 },
  { table: 'User', constraint: 'User_walletAddress_format', digits: 40 },
  { table: 'Vault', constraint: 'Vault_contractAddress_format', digits: 40 },
];

it.each(CHECKS)('$constraint accepts exactly ^0x[0-9a-f]{$digits}$', async ({ table, constraint, digits }) => {
  const { rows: [c] } = await pg.query<{ def: string }>(
    `SELECT pg_get_expr(conbin, conrelid) AS def FROM pg_constraint WHERE conname = $1 AND conrelid = format('%I', $2::text)::regclass`,
    [constraint, table],
  );
  // The check's own expression, with its column replaced by the candidate value.
  const column = /"(\w+)"/.exec(c!.def)![1]!;
  const expr = c!.def.replaceAll(`"${column}"`, '$1::text');
  for (const v of candidates(digits)) {
    const { rows: [r] } = await pg.query<{ check: boolean; regex: boolean }>(
      `SELECT (${expr}) AS check, $1::text ~ '^0x[0-9a-f]{${digits}}$' AS regex`,
      [v],
    );
    expect({ v, accepted: r!.check }).toEqual({ v, accepted: r!.regex });
  }
});
