// The vault-event domain: the ledger write use cases (recordTrades, recordFollowerEvents,
// recordDeploy), the rule that copies agree, the lock protocol (writers, snapshot, recompute-from
// position), the fold's stored state and checkpoints, the snapshot's fold of metrics and series
// (snapshot/), the pipeline a trade or follower job goes through, and the readers of the vault
// series. Imports the contract and the platform; the services import it.
export * from './copies-agree';
export * from './ledger';
export * from './lock-protocol';
export * from './fold-state';
export * from './snapshot';
export * from './users';
export * from './pipeline';
export * from './record-trades';
export * from './record-follower-events';
export * from './record-deploy';
export * from './series-reader';
