// A service's repeated work (ServiceDefinition.periodic): one run at a time, the next
// `intervalMs` after the previous one ended; stop() cancels the next run and waits for the one
// under way, so the runner can stop it before closing what the run uses.

export interface Periodic {
  stop(): Promise<void>;
}

export function startPeriodic(intervalMs: number, run: () => Promise<void>, onError: (err: unknown) => void): Periodic {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = run()
        .catch(onError)
        .finally(() => {
          current = undefined;
          schedule();
        });
    }, intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
