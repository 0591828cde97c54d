import { command, runCli } from '../src/cli';

// The command line is checked before any connection is made: a wrong one exits 2 with the usage.

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
};

it.each([
  [[], /no command/],
  [['frobnicate'], /unknown command "frobnicate"/],
  [['retry-failed'], /needs --queue/],
  [['retry-failed', '--queue', 'TradeProcessingQueue', '--reason', 'bad'], /--reason "bad": one of invalid, unknown_job, conflicting_copy, exhausted, other/],
  [['retry-failed', '--queue', 'TradeProcessingQueue', '--limit', '0'], /--limit "0"/],
  [['resnapshot'], /exactly one of --vault/],
  [['resnapshot', '--all', '--vault', '1:0x0000000000000000000000000000000000000001'], /exactly one of --vault/],
  [['rewind'], /exactly one of --block N and --time/],
  [['rewind', '--block', '-3'], /--block|Unknown option|argument/i],
  [['status', '--verbose'], /Unknown option '--verbose'/],
])('%j is a usage error', async (argv, message) => {
  const c = io();
  expect(await runCli(argv as string[], {}, c.io)).toBe(2);
  expect(c.err.join('\n')).toMatch(message);
  expect(c.err.join('\n')).toMatch(/usage: vaults-ops <command>/);
  expect(c.out).toEqual([]);
});

it('accepts the agreed interface (docs/OPERATIONS.md)', () => {
  for (const argv of [
    ['status'],
    ['retry-failed', '--queue', 'TradeProcessingQueue', '--reason', 'exhausted', '--limit', '10', '--dry-run'],
    ['resnapshot', '--vault', '1:0x00000000000000000000000000000000000000aB', '--recompute'],
    ['resnapshot', '--all'],
    ['rewind', '--block', '0', '--dry-run'],
    ['rewind', '--time', '2026-12-07T06:00:00Z'],
  ]) {
    expect(typeof command(argv)).toBe('function');
  }
});
