export * from './database';
export * from './reference';
export * from './read-state';
export * from './harness';
export * from './events';
export * from './prng';
export * from './local-cluster';
export * from './noise';
