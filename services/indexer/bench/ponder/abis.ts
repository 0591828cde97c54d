import { parseAbi } from 'viem';

// The events of packages/devchain/contracts/VaultFactory.sol that the app indexes, as their
// Solidity declarations (this app has its own install: it does not import the workspace's solc build).

export const factoryAbi = parseAbi(['event VaultDeployed(address indexed vault, address indexed leader, address baseAsset, string name)']);

export const vaultAbi = parseAbi([
  'event TradeExecuted(address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut, int256 pnl)',
  'event FollowerSubscribed(address indexed follower, uint256 amount)',
  'event FollowerUnsubscribed(address indexed follower, uint256 amount)',
]);
