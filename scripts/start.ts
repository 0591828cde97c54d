// pnpm start: apply migrations, then run the workers (SERVICES) as processes (as in production),
// in the foreground, each line prefixed with its service, under a small supervisor: a worker that
// crashes is restarted with back-off (scripts/supervisor.ts), and the workers die with it, even
// when it is killed with SIGKILL (scripts/lifeline.ts). Ctrl-C / SIGTERM stops all four cleanly.
// With RPC_URL set (and FACTORY_ADDRESS, START_BLOCK: docs/INDEXER.md) the indexer runs too, under
// the same supervisor. SERVICES=trade-worker,snapshot-worker runs a subset; PORT_OFFSET=n or
// METRICS_PORT=0 lets a second `pnpm start` run beside the first (scripts/ports.ts).
import { INDEXER } from '@vaults/shared';
import { watchLauncher } from './lifeline';
import { migrate } from './migrate';
import { checkPorts, planPorts, PortError } from './ports';
import { Supervised } from './supervisor';
import { WORKERS } from '@vaults/testkit';

const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

async function main(): Promise<number> {
  // When the launcher (pnpm) dies, our stdout may be a pipe nobody reads: keep going, so that the
  // workers are still stopped cleanly, rather than die on EPIPE.
  for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
  const workers: string[] = WORKERS.map((w) => w.name);
  const known = [...workers, INDEXER.name];
  const names = process.env.SERVICES?.split(',').map((s) => s.trim()).filter(Boolean) ?? [...workers, ...(process.env.RPC_URL ? [INDEXER.name] : [])];
  for (const n of names) if (!known.includes(n)) throw new Error(`unknown service ${n} (have ${known.join(', ')})`);
  if (names.includes(INDEXER.name) && !process.env.RPC_URL) throw new Error('the indexer needs RPC_URL (and FACTORY_ADDRESS, START_BLOCK: docs/INDEXER.md)');
  const ports = planPorts(process.env, names);
  await checkPorts(ports, process.env.METRICS_HOST ?? '0.0.0.0');
  await migrate({ createDatabase: true }); // a local stack: the database may not exist yet
  say(`supervisor pid ${process.pid}`);

  let stopping = false;
  let failed = false;
  const stopAll = (why: string) => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping the workers`);
    for (const w of supervised) w.stop();
  };
  const supervised: Supervised[] = names.map((name) => {
    const env: NodeJS.ProcessEnv = { ...process.env, METRICS_PORT: String(ports[name]) };
    delete env.HEALTH_PORT; // an alias of METRICS_PORT; the port chosen here must win
    return new Supervised(name, env, say, (line) => process.stdout.write(`${line}\n`), (failedName) => {
      failed = true;
      stopAll(`${failedName} could not start`);
    });
  });
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  watchLauncher((why) => stopAll(why));

  const codes = await Promise.all(supervised.map((w) => w.done));
  say('all workers stopped');
  return failed || codes.some((c) => c !== 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[start] ${err instanceof PortError ? '' : 'failed: '}${(err as Error).message}`);
    process.exit(1);
  },
);
