import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_NODE_OPTIONS, loadSettings } from '../../bench/lib/settings';

// Compiled bench workers run with the runtime image's heap settings unless told otherwise: a run
// with the old space capped and Node 24's default young generation measured 2x the CPU per event
// (docs/BENCHMARK.md, "Node 24's young generation").

it('gives compiled workers the image heap settings, and leaves an explicit NODE_OPTIONS alone', () => {
  expect(loadSettings({ BENCH_COMPILED: '1', BENCH_BASELINE: 'none' }).workerEnv).toEqual({ NODE_OPTIONS: IMAGE_NODE_OPTIONS });
  expect(loadSettings({ BENCH_COMPILED: '1', BENCH_BASELINE: 'none', BENCH_WORKER_ENV: 'NODE_OPTIONS=--max-old-space-size=2048' }).workerEnv).toEqual({ NODE_OPTIONS: '--max-old-space-size=2048' });
  expect(loadSettings({ BENCH_COMPILED: '1', BENCH_BASELINE: 'none', BENCH_WORKER_ENV: 'trade-worker.NODE_OPTIONS=--inspect' }).workerEnv).toEqual({ 'trade-worker.NODE_OPTIONS': '--inspect' });
  expect(loadSettings({ BENCH_BASELINE: 'none' }).workerEnv).toEqual({});
});

it('spells out the image young-generation bound', () => {
  const dockerfile = readFileSync(join(__dirname, '..', '..', 'docker', 'Dockerfile'), 'utf8');
  const image = /^ENV .*NODE_OPTIONS="([^"]+)"/m.exec(dockerfile)?.[1];
  expect(image).toContain('--max-old-space-size-percentage=25');
  const semi = /--max-semi-space-size=\d+/.exec(image ?? '')?.[0];
  expect(semi).toBeDefined();
  expect(IMAGE_NODE_OPTIONS.split(' ')).toContain(semi);
  // 25% of the base manifests' 512Mi.
  expect(IMAGE_NODE_OPTIONS.split(' ')).toContain('--max-old-space-size=128');
});
