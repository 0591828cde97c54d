// The main of a long-lived process that is not a queue worker (the indexer): start it, stop it
// cleanly on SIGTERM/SIGINT (a second signal exits at once), exit 0 after a clean stop, 1 when
// start-up or shutdown fails. Workers use runMain (runner.ts), which does the same for them.

export interface Stoppable {
  close(): Promise<void>;
}

export function runDaemon(name: string, start: () => Promise<Stoppable>): void {
  start().then(
    (running) => {
      let signals = 0;
      const stop = (signal: string) => {
        if (++signals > 1) process.exit(1);
        process.stderr.write(`${name}: ${signal}, stopping\n`);
        running.close().then(
          () => process.exit(0),
          (err) => {
            process.stderr.write(`${name}: shutdown failed: ${(err as Error).stack}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    },
    (err) => {
      process.stderr.write(`${name}: failed to start: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
