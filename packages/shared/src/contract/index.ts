// The contract (docs/CONTRACT.md): queues and job names with their payload schemas, value
// formats, event identity and order, and the errors a payload can fail with. Imports nothing
// else of this package: platform and domain code build on it, never the other way round.
export * from './values';
export * from './payloads';
export * from './errors';
export * from './queues';
export * from './identity';
export * from './event-job';
