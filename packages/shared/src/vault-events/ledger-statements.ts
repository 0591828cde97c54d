import { QUEUES } from '../contract';
import { sqlFragment, sqlIdentifier, sqlJoin, type SqlFragment } from '../platform';
import { copyAgrees, type CopyKind } from './copies-agree';

// The parts every ledger statement shares, generated per kind. A statement's input rows are the
// CTE `x`, with the identity as x.c (chainId), x.bh (blockHash), x.l (logIndex), the copy's
// transaction as x.h, its removed flag as x.r and its compared fields as COPY_FIELDS names them.

const LEDGERS = {
  TradeExecuted: { table: 'TradeEvent', queue: QUEUES.trade.name },
  FollowerEvent: { table: 'FollowerEvent', queue: QUEUES.follower.name },
  VaultDeployed: { table: 'VaultDeployEvent', queue: QUEUES.vault.name },
} as const satisfies Record<CopyKind, { table: string; queue: string }>;

/** The ledger table of a kind. */
export function ledgerTable(kind: CopyKind): SqlFragment {
  return sqlIdentifier(LEDGERS[kind].table);
}

/** CTE `elsewhere`: the input identities already recorded on another queue's ledger (c, bh, l, queue). */
export function elsewhereCte(kind: CopyKind): SqlFragment {
  const others = (Object.keys(LEDGERS) as CopyKind[]).filter((k) => k !== kind);
  const branches = others.map(
    (k) => sqlFragment`SELECT x.c, x.bh, x.l, ${LEDGERS[k].queue}::text AS queue
        FROM x JOIN ${ledgerTable(k)} o ON (o."chainId", o."blockHash", o."logIndex") = (x.c, x.bh, x.l)`,
  );
  return sqlFragment`elsewhere AS (
      ${sqlJoin(branches, ' UNION ALL ')}
    )`;
}

/**
 * CTE `adopted`: a live version-1 row of the copy's transaction and log (marker 'v1:' || txHash,
 * see ledger.ts) that agrees with it, when the identity is not recorded yet: it takes the copy's
 * hash and its removed flag. Left out of the statement's upsert (a row changes once per
 * statement). Returns the adopted rows with `inserted` false.
 */
export function adoptedCte(kind: CopyKind): SqlFragment {
  const t = ledgerTable(kind);
  return sqlFragment`adopted AS (
      UPDATE ${t} e SET "blockHash" = x.bh, "removed" = x.r
        FROM x
       WHERE (e."chainId", e."blockHash", e."logIndex") = (x.c, 'v1:' || x.h, x.l) AND NOT e."removed"
         AND ${copyAgrees(kind, 'e')}
         AND NOT EXISTS (SELECT 1 FROM elsewhere o WHERE (o.c, o.bh, o.l) = (x.c, x.bh, x.l))
         AND NOT EXISTS (SELECT 1 FROM ${t} o WHERE (o."chainId", o."blockHash", o."logIndex") = (x.c, x.bh, x.l))
      RETURNING e.*, false AS inserted
    )`;
}
