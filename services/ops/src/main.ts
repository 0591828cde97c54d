import { runCli } from './cli';

// vaults-ops: `pnpm ops <command>` in the repository, `node dist/main.js <command>` in the image.

runCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`vaults-ops: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
