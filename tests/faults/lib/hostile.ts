import type { QueueKey } from '@vaults/shared';
import type { AnyEvent } from '@vaults/testkit';
import { toJob } from '@vaults/testkit';
import { prng, randomAddress, randomHash } from './workload';

// Malformed jobs, one maker per class of bad input. Each takes a valid event (to start from a
// payload that is right in every other field) and breaks one thing; `field` is what the failed
// reason must name.

export interface BadJob {
  kind: string;
  queue: QueueKey;
  name: string;
  data: unknown;
  /** A word the failed reason must contain (the field, or the job name). */
  field: string;
}

type Maker = (e: Record<string, unknown>, name: string) => { kind: string; data: unknown; field: string; name?: string };

const MB = 1024 * 1024;

function nested(depth: number): unknown {
  let x: unknown = 'bottom';
  for (let i = 0; i < depth; i++) x = { a: x, b: [i] };
  return x;
}

/** A payload object with an own "__proto__" (or "constructor") key, as JSON.parse makes it. */
function withKey(e: Record<string, unknown>, key: string, value: unknown, drop: string): unknown {
  const { [drop]: _dropped, ...rest } = e;
  return JSON.parse(JSON.stringify(rest).replace(/^\{/, `{${JSON.stringify(key)}:${JSON.stringify(value)},`));
}

const without = (e: Record<string, unknown>, k: string) => {
  const { [k]: _, ...rest } = e;
  return rest;
};

const TWO_256 = (2n ** 256n).toString();
const TWO_255 = (2n ** 255n).toString();

/** Classes that apply to every on-chain payload. */
const common: Maker[] = [
  (e) => ({ kind: 'missing field', data: without(e, 'txHash'), field: 'txHash' }),
  (e) => ({ kind: 'missing field', data: without(e, 'blockNumber'), field: 'blockNumber' }),
  (e) => ({ kind: 'missing field', data: without(e, 'vaultAddress'), field: 'vaultAddress' }),
  (e) => ({ kind: 'string where a number belongs', data: { ...e, logIndex: String(e.logIndex) }, field: 'logIndex' }),
  (e) => ({ kind: 'string where a number belongs', data: { ...e, chainId: '1' }, field: 'chainId' }),
  (e) => ({ kind: 'string where a number belongs', data: { ...e, blockTimestamp: '1700000000' }, field: 'blockTimestamp' }),
  (e) => ({ kind: 'wrong type', data: { ...e, removed: 'false' }, field: 'removed' }),
  (e) => ({ kind: 'wrong type', data: { ...e, blockNumber: 1.5 }, field: 'blockNumber' }),
  (e) => ({ kind: 'wrong type', data: { ...e, chainId: 0 }, field: 'chainId' }),
  (e) => ({ kind: 'wrong type', data: { ...e, logIndex: -1 }, field: 'logIndex' }),
  (e) => ({ kind: 'wrong type', data: { ...e, blockNumber: null }, field: 'blockNumber' }),
  (e) => ({ kind: 'malformed address', data: { ...e, vaultAddress: '0x1234' }, field: 'vaultAddress' }),
  (e) => ({ kind: 'malformed address', data: { ...e, vaultAddress: 'zz' + String(e.vaultAddress).slice(2) }, field: 'vaultAddress' }),
  (e) => ({ kind: 'malformed hash', data: { ...e, txHash: String(e.txHash).slice(0, 60) }, field: 'txHash' }),
  (e) => ({ kind: 'malformed hash', data: { ...e, txHash: String(e.txHash).replace(/^0x./, '0xg') }, field: 'txHash' }),
  (e) => ({ kind: 'oversize payload (1 MB string)', data: { ...e, vaultAddress: '0x' + 'a'.repeat(MB) }, field: 'vaultAddress' }),
  (e) => ({ kind: 'deeply nested junk', data: { ...e, txHash: nested(2000) }, field: 'txHash' }),
  (e) => ({ kind: '__proto__ key', data: withKey(e, '__proto__', { txHash: e.txHash }, 'txHash'), field: 'txHash' }),
  (e) => ({ kind: 'constructor key', data: withKey(e, 'constructor', { prototype: { vaultAddress: e.vaultAddress } }, 'vaultAddress'), field: 'vaultAddress' }),
  (e) => ({ kind: 'not an object', data: [e], field: '(payload)' }),
  (_e) => ({ kind: 'not an object', data: 'TradeExecuted', field: '(payload)' }),
  (e, name) => ({ kind: 'unknown job name', data: e, field: 'unknown job name', name: `${name}V2` }),
];

const byQueue: Record<'vault' | 'trade' | 'follower', Maker[]> = {
  vault: [
    (e) => ({ kind: 'name > 100 characters', data: { ...e, name: 'x'.repeat(101) }, field: 'name' }),
    (e) => ({ kind: 'name > 100 characters', data: { ...e, name: '🦄'.repeat(101) }, field: 'name' }),
    (e) => ({ kind: 'empty name', data: { ...e, name: '' }, field: 'name' }),
    (e) => ({ kind: 'NUL in name', data: { ...e, name: 'a\u0000b' }, field: 'name' }),
    (e) => ({ kind: 'oversize payload (1 MB string)', data: { ...e, name: 'n'.repeat(MB) }, field: 'name' }),
    (e) => ({ kind: 'malformed address', data: { ...e, leader: 'vitalik.eth' }, field: 'leader' }),
    (e) => ({ kind: 'number where a string belongs', data: { ...e, baseAsset: 0 }, field: 'baseAsset' }),
    (e) => ({ kind: 'missing field', data: without(e, 'name'), field: 'name' }),
    (e) => ({ kind: 'deeply nested junk', data: { ...e, name: nested(3000) }, field: 'name' }),
  ],
  trade: [
    (e) => ({ kind: 'negative amount', data: { ...e, amountIn: '-5' }, field: 'amountIn' }),
    (e) => ({ kind: 'amount >= 2^256', data: { ...e, amountOut: TWO_256 }, field: 'amountOut' }),
    (e) => ({ kind: 'pnl >= 2^255', data: { ...e, pnl: TWO_255 }, field: 'pnl' }),
    (e) => ({ kind: 'pnl < -2^255', data: { ...e, pnl: '-' + (2n ** 255n + 1n).toString() }, field: 'pnl' }),
    (e) => ({ kind: 'number where a string belongs', data: { ...e, amountIn: 1000 }, field: 'amountIn' }),
    (e) => ({ kind: 'number where a string belongs', data: { ...e, pnl: -3.5 }, field: 'pnl' }),
    (e) => ({ kind: 'not an integer string', data: { ...e, amountIn: '1e18' }, field: 'amountIn' }),
    (e) => ({ kind: 'not an integer string', data: { ...e, amountOut: '12.5' }, field: 'amountOut' }),
    (e) => ({ kind: 'oversize payload (1 MB digits)', data: { ...e, amountIn: '9'.repeat(MB) }, field: 'amountIn' }),
    (e) => ({ kind: 'missing field', data: without(e, 'pnl'), field: 'pnl' }),
    (e) => ({ kind: '__proto__ key', data: withKey(e, '__proto__', { pnl: '1' }, 'pnl'), field: 'pnl' }),
    (e) => ({ kind: 'malformed address', data: { ...e, tokenIn: '0x' + 'f'.repeat(41) }, field: 'tokenIn' }),
  ],
  follower: [
    (e) => ({ kind: 'unknown action', data: { ...e, action: 'STAKE' }, field: 'action' }),
    (e) => ({ kind: 'unknown action', data: { ...e, action: 'deposit' }, field: 'action' }),
    (e) => ({ kind: 'negative amount', data: { ...e, amount: '-1' }, field: 'amount' }),
    (e) => ({ kind: 'amount >= 2^256', data: { ...e, amount: TWO_256 }, field: 'amount' }),
    (e) => ({ kind: 'number where a string belongs', data: { ...e, amount: 2 ** 60 }, field: 'amount' }),
    (e) => ({ kind: 'not an integer string', data: { ...e, amount: 'NaN' }, field: 'amount' }),
    (e) => ({ kind: 'missing field', data: without(e, 'followerAddress'), field: 'followerAddress' }),
    (e) => ({ kind: 'missing field', data: without(e, 'action'), field: 'action' }),
    (e) => ({ kind: 'constructor key', data: withKey(e, 'constructor', { amount: '5' }, 'amount'), field: 'amount' }),
    (e) => ({ kind: 'deeply nested junk', data: { ...e, amount: nested(2000) }, field: 'amount' }),
  ],
};

const isOversize = (m: Maker) => /oversize/.test(m({ txHash: '', vaultAddress: '' }, 'X').kind);

/**
 * Bad jobs made from valid events: every class for every queue, `copies` times each (oversize
 * classes at most twice: a few megabytes per job is enough to prove the point).
 */
export function hostileJobs(valid: AnyEvent[], copies: number, seed: number): BadJob[] {
  const r = prng(seed);
  const out: BadJob[] = [];
  for (const queue of ['vault', 'trade', 'follower'] as const) {
    const pool = valid.filter((e) => toJob(e)[0] === queue);
    for (const make of [...common, ...byQueue[queue]]) {
      const n = isOversize(make) ? Math.min(2, copies) : copies;
      for (let i = 0; i < n; i++) {
        // A fresh identity, so a bad copy never shares one with a good event.
        const base = { ...pool[Math.floor(r() * pool.length)]!, txHash: randomHash(r) };
        const [, name, data] = toJob(base);
        const bad = make(data, name);
        out.push({ kind: bad.kind, queue, name: bad.name ?? name, data: bad.data, field: bad.field });
      }
    }
  }
  return out;
}

/**
 * Odd but valid: unknown extra fields (an own __proto__ key, a constructor key, 1 MB of junk,
 * deep nesting) are ignored by the contract, so these must take effect like their plain copy.
 */
export function oddButValid(e: AnyEvent, r: () => number): Record<string, unknown> {
  const [, , data] = toJob(e);
  const x = r();
  if (x < 0.25) return JSON.parse(JSON.stringify(data).replace(/^\{/, '{"__proto__":{"removed":true,"polluted":"yes"},')) as Record<string, unknown>;
  if (x < 0.5) return JSON.parse(JSON.stringify(data).replace(/^\{/, '{"constructor":{"prototype":{"removed":true}},')) as Record<string, unknown>;
  if (x < 0.75) return { ...data, comment: nested(500), extra: randomAddress(r) };
  return { ...data, blob: 'j'.repeat(64 * 1024) };
}
