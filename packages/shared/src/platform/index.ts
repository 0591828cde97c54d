// The platform: what every service runs on and none of it knows vault events. Connections
// (Redis, Postgres), configuration, logging, metrics, the sidecar, retries, group commit, the
// producer and the runner (Fastify and shutdown). BullMQ is known only here (the runner, the
// job processor, the worker lanes, the producer): no other folder of @vaults/shared and no worker
// service imports it (tests/architecture checks it). Imports only the contract.
export * from './config';
export * from './redact';
export * from './logger';
export * from './metrics';
export * from './redis';
export * from './db';
export { SqlFragment, sqlFragment, sqlIdentifier, sqlJoin, toQuery } from './sql-fragment';
export * from './migrate';
export * from './producer';
export * from './producer-connection';
export * from './retry';
export * from './batcher';
export * from './sidecar';
export * from './service-definition';
export * from './runner';
export * from './job-processor';
export * from './services';
export * from './redis-cluster';
export * from './daemon';
export * from './worker-lanes';
export * from './tick-writes';
