import { addr, blockHashOf, txh, type DeployEv, type FollowerEv, type TradeEv } from '@vaults/testkit';
import { prng } from './stats';

// The bench's events: unique identities, strictly increasing positions (an indexer delivers a
// chain roughly in order, so snapshots stay incremental), vaults picked with a skew (a few hot
// vaults, a long tail), follower balances that mostly stay positive.


export class EventFactory {
  private tx = 0;
  private block: number;
  private readonly rand: () => number;
  private readonly balances = new Map<string, bigint>();

  private readonly vaultBase: number;
  private readonly userBase: number;
  private readonly txBase: number;

  /** `space` separates factories of one run: their vaults, users, tx hashes and blocks never collide. */
  constructor(
    readonly vaults: number,
    readonly followers: number,
    space = 0,
    seed = 42 + space,
  ) {
    this.rand = prng(seed);
    this.vaultBase = 0x7a000000 + space * 0x100000;
    this.userBase = 0x5e000000 + space * 0x1000000;
    this.txBase = 0xbe0000000 + space * 0x10000000;
    // Blocks too: an event's identity is (chainId, blockHash, logIndex) (contract version 2).
    this.block = 100 + space * 100_000_000;
  }

  vaultAddress(i: number): string {
    return addr(this.vaultBase + i);
  }

  deploys(): DeployEv[] {
    return Array.from({ length: this.vaults }, (_, i) => ({
      type: 'deploy' as const, ...this.position(), vaultAddress: this.vaultAddress(i),
      leader: addr(this.userBase + 0x800000 + i), name: `Bench vault ${i}`, baseAsset: addr(0xba5e),
    }));
  }

  trades(n: number): TradeEv[] {
    return Array.from({ length: n }, () => ({
      type: 'trade' as const, ...this.position(), vaultAddress: this.vaultAddress(this.pickVault()),
      tokenIn: addr(0xaa), tokenOut: addr(0xbb), amountIn: String(1_000_000 + this.int(1_000_000)),
      amountOut: String(1_000_000 + this.int(1_000_000)), pnl: String(this.int(2_000_001) - 900_000),
    }));
  }

  /** About 65% deposits; a withdrawal takes at most the pair's balance so far. */
  followerEvents(n: number): FollowerEv[] {
    return Array.from({ length: n }, () => {
      const vault = this.vaultAddress(this.pickVault());
      const follower = addr(this.userBase + this.int(this.followers));
      const key = `${vault}:${follower}`;
      const balance = this.balances.get(key) ?? 0n;
      const withdraw = balance > 0n && this.rand() < 0.35;
      // A withdrawal takes 1..100% of the balance; deposits are up to 1e18 (past 2^53 on purpose).
      const amount = withdraw ? maxOf(1n, (balance * BigInt(1 + this.int(100))) / 100n) : BigInt(1 + this.int(1_000_000_000)) * 10n ** 9n;
      this.balances.set(key, withdraw ? balance - amount : balance + amount);
      return {
        type: 'follower' as const, ...this.position(), vaultAddress: vault, followerAddress: follower,
        amount: String(amount), action: withdraw ? ('WITHDRAW' as const) : ('DEPOSIT' as const),
      };
    });
  }

  private position() {
    const block = ++this.block;
    return { chainId: 1, txHash: txh(this.txBase + ++this.tx), logIndex: 0, blockNumber: block, blockHash: blockHashOf(block), blockTimestamp: 1_700_000_000 + block };
  }

  /** Skewed: vault 0 is the hottest; u^2 puts ~30% of events on the first 10% of vaults. */
  private pickVault(): number {
    const u = this.rand();
    return Math.min(this.vaults - 1, Math.floor(u * u * this.vaults));
  }

  private int(below: number): number {
    return Math.floor(this.rand() * below);
  }
}

const maxOf = (a: bigint, b: bigint) => (a > b ? a : b);
