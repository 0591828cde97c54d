import { diffStates, expectedState, readState, type AnyEvent } from '@vaults/testkit';

// Exactly once, checked rather than assumed: after everything drained, the database must equal
// docs/CONTRACT.md's function of the delivered events (testkit's reference model): every user, vault
// (with its TVL, ROI and drawdown), trade and subscription, no more, no less.

export interface Verification {
  ok: boolean;
  differences: number;
  sample: string[];
}

export async function verifyState(databaseUrl: string, delivered: AnyEvent[]): Promise<Verification> {
  const diffs = diffStates(expectedState(delivered), await readState(databaseUrl));
  return { ok: diffs.length === 0, differences: diffs.length, sample: diffs.slice(0, 5) };
}
