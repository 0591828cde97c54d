import type { Block } from 'viem';
import type { StoredBlock } from './store';

// The common ancestor of the stored recent blocks and the chain: the highest stored block whose
// hash the chain still has at that height. null when none is left (deeper than the window).

export interface Ancestor {
  number: number;
  hash: string;
}

export async function findCommonAncestor(
  stored: StoredBlock[],
  blockAt: (n: number) => Promise<Pick<Block, 'hash'> | null>,
): Promise<Ancestor | null> {
  // Newest first, a few at a time: a shallow re-organisation costs a few calls, not the window.
  const desc = [...stored].sort((a, b) => b.number - a.number);
  for (let i = 0; i < desc.length; i += 16) {
    const slice = desc.slice(i, i + 16);
    const onChain = await Promise.all(slice.map((b) => blockAt(b.number)));
    const match = slice.find((b, j) => onChain[j]?.hash === b.hash);
    if (match) return { number: match.number, hash: match.hash };
  }
  return null;
}
