import { z } from 'zod';
import { address, amount, blockHash, chainId, hash, nonNegativeInt, signedAmount, vaultName } from './values';

// Payload schemas of docs/CONTRACT.md ("Payloads"). z.object strips unknown keys, which is how the
// contract's "unknown extra fields are ignored" is honoured (and how __proto__ & co. disappear).

export const eventFields = {
  chainId,
  txHash: hash,
  logIndex: nonNegativeInt,
  blockNumber: nonNegativeInt,
  blockHash,
  blockTimestamp: nonNegativeInt,
  removed: z.boolean({ error: 'must be a boolean' }).optional().default(false),
};

export const vaultDeployedSchema = z.object({
  ...eventFields,
  vaultAddress: address,
  leader: address,
  name: vaultName,
  baseAsset: address,
});

export const tradeExecutedSchema = z.object({
  ...eventFields,
  vaultAddress: address,
  tokenIn: address,
  tokenOut: address,
  amountIn: amount,
  amountOut: amount,
  pnl: signedAmount,
});

export const followerEventSchema = z.object({
  ...eventFields,
  vaultAddress: address,
  followerAddress: address,
  amount,
  action: z.enum(['DEPOSIT', 'WITHDRAW'], { error: 'must be "DEPOSIT" or "WITHDRAW"' }),
});

export const calculateSnapshotSchema = z.object({
  chainId,
  vaultAddress: address,
});

export type VaultDeployed = z.output<typeof vaultDeployedSchema>;
export type TradeExecuted = z.output<typeof tradeExecutedSchema>;
export type FollowerEvent = z.output<typeof followerEventSchema>;
export type CalculateSnapshot = z.output<typeof calculateSnapshotSchema>;

/** What a producer may hand us: `removed` optional, everything else as the contract says. */
export type VaultDeployedInput = z.input<typeof vaultDeployedSchema>;
export type TradeExecutedInput = z.input<typeof tradeExecutedSchema>;
export type FollowerEventInput = z.input<typeof followerEventSchema>;
export type CalculateSnapshotInput = z.input<typeof calculateSnapshotSchema>;
