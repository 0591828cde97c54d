import { runCli } from '../src/cli';

/** Runs `vaults-ops <argv>` in-process against the test's database and queues; its exit code and output. */
export async function ops(argv: string[], env: NodeJS.ProcessEnv, queueSuffix?: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) }, { queueSuffix });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
