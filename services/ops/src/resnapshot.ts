import { QUEUES, markFromOrigin, type WriteVault } from '@vaults/shared';
import { UsageError, type OpsContext } from './context';

// vaults-ops resnapshot: ask the snapshot worker to bring one vault's (or every vault's) TVL, ROI
// and drawdown up to date. A plain snapshot resumes from the vault's stored fold state and
// rewrites the Vault row's metrics when they differ (a row edited by hand comes back); with
// --recompute the fold starts over from the vault's first event, as if every event had arrived
// late: the writers' recompute-from mark (lock-protocol.ts, rule 2) set before the first event,
// under the same shared vault lock a writer takes, so no snapshot folds while it is set.

export interface ResnapshotOptions {
  /** `<chainId>:<address>`; undefined with `all`. */
  vault?: string;
  all: boolean;
  recompute: boolean;
}

export interface ResnapshotResult {
  vaults: number;
  recomputed: number;
  queued: number;
}

const CHUNK = 500;

export function parseVault(spec: string): WriteVault {
  const m = /^(\d+):(0x[0-9a-fA-F]{40})$/.exec(spec);
  if (!m) throw new UsageError(`--vault ${JSON.stringify(spec)}: expected <chainId>:<0x address>, e.g. 1:0xabc…`);
  return { chainId: Number(m[1]), vaultAddress: m[2]!.toLowerCase() };
}

export async function resnapshot(ctx: OpsContext, opts: ResnapshotOptions): Promise<ResnapshotResult> {
  const vaults = opts.all ? await allVaults(ctx) : [parseVault(opts.vault!)];
  if (!opts.all) {
    const [known] = await ctx.db.sql.query`
      SELECT 1 FROM "Vault" WHERE "chainId" = ${String(vaults[0]!.chainId)}::bigint AND "contractAddress" = ${vaults[0]!.vaultAddress}`;
    if (!known) throw new Error(`no vault ${vaults[0]!.chainId}:${vaults[0]!.vaultAddress} in the database`);
  }
  let recomputed = 0;
  let queued = 0;
  for (let i = 0; i < vaults.length; i += CHUNK) {
    const chunk = vaults.slice(i, i + CHUNK);
    if (opts.recompute) {
      recomputed += await markFromOrigin(ctx.db, chunk);
    }
    await ctx.producer.calculateSnapshots(chunk.map((v) => ({ chainId: v.chainId, vaultAddress: v.vaultAddress })));
    queued += chunk.length;
  }
  for (const v of vaults.slice(0, 20)) ctx.print(`  ${v.chainId}:${v.vaultAddress}`);
  if (vaults.length > 20) ctx.print(`  … and ${vaults.length - 20} more`);
  ctx.print(
    `summary: ${queued} snapshot request(s) queued on ${QUEUES.snapshot.name}${opts.recompute ? `, ${recomputed} vault(s) marked to recompute from their first event` : ''}; the snapshot worker applies them (vaults-ops status shows the queue)`,
  );
  return { vaults: vaults.length, recomputed, queued };
}

async function allVaults(ctx: OpsContext): Promise<WriteVault[]> {
  const rows = await ctx.db.sql.query<{ chainId: string; contractAddress: string }>`
    SELECT "chainId"::text AS "chainId", "contractAddress" FROM "Vault" ORDER BY id`;
  return rows.map((r) => ({ chainId: Number(r.chainId), vaultAddress: r.contractAddress }));
}
