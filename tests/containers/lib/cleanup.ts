// What an interrupted run must not leave behind (containers, Prometheus, podman's API service):
// each resource registers its own cleanup and unregisters it once released.

const pending = new Set<() => Promise<unknown> | unknown>();

export function onInterrupt(fn: () => Promise<unknown> | unknown): () => void {
  pending.add(fn);
  return () => pending.delete(fn);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write(`[containers] ${signal}: cleaning up\n`);
    void Promise.allSettled([...pending].map(async (fn) => fn())).finally(() => process.exit(130));
  });
}
