// pnpm start: apply migrations, then run the workers (SERVICES) as four processes (as in production),
// in the foreground, each line prefixed with its service. Ctrl-C / SIGTERM stops all four
// cleanly; if one dies, the others are stopped and the exit code says so.
// SERVICES=trade-worker,snapshot-worker runs a subset.
import { migrate } from './migrate';
import { spawnWorker, WORKERS } from './workers';

async function main(): Promise<void> {
  const known: string[] = WORKERS.map((w) => w.name);
  const names = process.env.SERVICES?.split(',').map((s) => s.trim()).filter(Boolean) ?? known;
  for (const n of names) if (!known.includes(n)) throw new Error(`unknown service ${n} (have ${known.join(', ')})`);
  await migrate();
  const children = names.map((n) => spawnWorker(n, process.env, (line) => process.stdout.write(`${line}\n`)));
  let stopping = false;
  let exitCode = 0;

  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    for (const w of children) if (w.child.exitCode === null) w.child.kill('SIGTERM');
  };
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);

  await Promise.all(
    children.map(async (w) => {
      const { code, signal } = await w.exited;
      if (!stopping || code !== 0) {
        process.stdout.write(`[start] ${w.name} exited (${signal ?? code})${stopping ? '' : '; stopping the others'}\n`);
        if (code !== 0) exitCode = 1;
        stopAll();
      }
    }),
  );
  process.stdout.write(`[start] all workers stopped\n`);
  process.exit(exitCode);
}

main().catch((err) => {
  console.error(`[start] ${(err as Error).message}`);
  process.exit(1);
});
