// The public entry of @vaults/ops (package.json "exports"): main.ts is the binary; tests and
// other programs can run a command in-process.
export { runCli, command, USAGE, type CliIo } from './cli';
export { lastBlockBefore, parseTime, type HeaderSource } from './block-at-time';
export { failureReasonOf, FAILED_JOB_REASONS, type FailedJobReason } from './failure-reason';
