import { ponder } from 'ponder:registry';
import { balance, trade, vault } from 'ponder:schema';

ponder.on('Factory:VaultDeployed', async ({ event, context }) => {
  await context.db.insert(vault).values({ address: event.args.vault, leader: event.args.leader, name: event.args.name, trades: 0, pnl: 0n });
});

ponder.on('Vault:TradeExecuted', async ({ event, context }) => {
  const { amountIn, amountOut, pnl } = event.args;
  await context.db.insert(trade).values({
    id: event.id, vault: event.log.address, blockNumber: event.block.number, logIndex: event.log.logIndex, amountIn, amountOut, pnl,
  });
  await context.db.update(vault, { address: event.log.address }).set((v) => ({ trades: v.trades + 1, pnl: v.pnl + pnl }));
});

ponder.on('Vault:FollowerSubscribed', async ({ event, context }) => {
  await context.db
    .insert(balance)
    .values({ vault: event.log.address, follower: event.args.follower, amount: event.args.amount })
    .onConflictDoUpdate((b) => ({ amount: b.amount + event.args.amount }));
});

ponder.on('Vault:FollowerUnsubscribed', async ({ event, context }) => {
  await context.db
    .insert(balance)
    .values({ vault: event.log.address, follower: event.args.follower, amount: -event.args.amount })
    .onConflictDoUpdate((b) => ({ amount: b.amount - event.args.amount }));
});
