import { processLogger } from './logger';

// The main of a long-lived process that is not a queue worker (the indexer): start it, stop it
// cleanly on SIGTERM/SIGINT (a second signal exits at once), exit 0 after a clean stop, 1 when
// start-up or shutdown fails. Workers use runMain (runner.ts), which does the same for them.

export interface Stoppable {
  close(): Promise<void>;
}

export function runDaemon(name: string, start: () => Promise<Stoppable>): void {
  // JSON lines like the rest of the process's output: a log pipeline parses every line.
  const log = processLogger(name);
  start().then(
    (running) => {
      let signals = 0;
      const stop = (signal: string) => {
        if (++signals > 1) process.exit(1);
        log.info({ signal }, 'stopping');
        running.close().then(
          () => process.exit(0),
          (err) => {
            log.fatal({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    },
    (err) => {
      log.fatal({ err }, 'failed to start');
      process.exit(1);
    },
  );
}
