// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// Reference contracts for tests, the demo and the benchmark: they emit exactly the events of the
// job contract ("On-chain events") and nothing else the indexer reads. No tokens move: amounts
// and pnl are what the caller says, so a test can script any history.

contract Vault {
    event TradeExecuted(address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut, int256 pnl);
    event FollowerSubscribed(address indexed follower, uint256 amount);
    event FollowerUnsubscribed(address indexed follower, uint256 amount);

    address public immutable leader;
    mapping(address => uint256) public balanceOf;

    constructor(address leader_) {
        leader = leader_;
    }

    function deposit(uint256 amount) external {
        balanceOf[msg.sender] += amount;
        emit FollowerSubscribed(msg.sender, amount);
    }

    function withdraw(uint256 amount) external {
        require(balanceOf[msg.sender] >= amount, "balance");
        balanceOf[msg.sender] -= amount;
        emit FollowerUnsubscribed(msg.sender, amount);
    }

    function trade(address tokenIn, address tokenOut, uint256 amountIn, uint256 amountOut, int256 pnl) external {
        require(msg.sender == leader, "leader");
        emit TradeExecuted(tokenIn, tokenOut, amountIn, amountOut, pnl);
    }

    /// Many trades in one transaction: lets the benchmark build a chain of many logs quickly.
    function tradeMany(address tokenIn, address tokenOut, uint256 count, int256 pnl) external {
        require(msg.sender == leader, "leader");
        for (uint256 i = 0; i < count; i++) {
            emit TradeExecuted(tokenIn, tokenOut, 1000 + i, 990 + i, pnl);
        }
    }
}

contract VaultFactory {
    event VaultDeployed(address indexed vault, address indexed leader, address baseAsset, string name);

    function deployVault(address baseAsset, string calldata name) external returns (address vault) {
        vault = address(new Vault(msg.sender));
        emit VaultDeployed(vault, msg.sender, baseAsset, name);
    }
}
