import { processLogger } from './logger';

// The main of a long-lived process (the indexer; the workers through runMain, runner.ts): start
// it, stop it cleanly on SIGTERM/SIGINT (a second signal exits at once), exit 0 after a clean
// stop, 1 when start-up or shutdown fails. Under a supervisor with an IPC channel (`pnpm start`)
// it says when it is ready (and on which port), and stops when the channel closes: the supervisor
// died, even by SIGKILL, and the process must not live on as an orphan taking jobs. Still
// starting, it exits at once; running, it stops as on SIGTERM.

export interface Stoppable {
  close(): Promise<void>;
  /** The sidecar's port, reported to a supervisor. */
  port?: number;
}

export function runDaemon(name: string, start: () => Promise<Stoppable>): void {
  // JSON lines like the rest of the process's output: a log pipeline parses every line.
  const log = processLogger(name);
  let orphaned = (): void => process.exit(1);
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', () => orphaned());
  }
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
      orphaned = () => {
        // Our stdout and stderr were pipes to the supervisor, now closed: a write there must not
        // end the process before its active jobs are finished (pino already drops EPIPE).
        for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
        stop('supervisor gone');
      };
      if (process.send && process.connected) process.send({ ready: name, pid: process.pid, port: running.port });
    },
    (err) => {
      log.fatal({ err }, 'failed to start');
      process.exit(1);
    },
  );
}
