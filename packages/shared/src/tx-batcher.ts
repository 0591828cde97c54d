import { Batcher, type Outcome } from './batcher';
import type { Tx } from './db';
import type { Infra } from './runner';

/**
 * A Batcher whose flush is one database transaction (group commit), sized from the config and
 * measured in the service's metrics under `operation`.
 */
export function createTxBatcher<I, R>(
  infra: Pick<Infra, 'db' | 'config' | 'metrics'>,
  operation: string,
  write: (tx: Tx, items: I[]) => Promise<Outcome<R>[]>,
): Batcher<I, R> {
  const { db, config, metrics } = infra;
  return new Batcher<I, R>({
    maxSize: config.batchMaxSize,
    maxWaitMs: config.batchMaxWaitMs,
    onFlush: (size) => metrics.batchSize.observe({ operation }, size),
    flush: async (items) => {
      const stop = metrics.dbTransactionDuration.startTimer({ operation });
      try {
        return await db.transaction((tx) => write(tx, items));
      } finally {
        stop();
      }
    },
  });
}
