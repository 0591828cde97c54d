import { join } from 'node:path';
import { ROOT, servicePackages, workerNames } from '../../deploy/support/repo';
import { imageSize, podman, proxyCaBundle } from './podman';

// The images of every service under services/ (the same list the deployment tests use, so a new
// service is built without editing this file), the migrate image and compose's devchain image,
// from docker/Dockerfile; and the same of a previous release, from its own tree (the upgrade check).

export const TAG = 'ci';
export const serviceImage = (service: string, tag = TAG) => `localhost/vaults/${service}:${tag}`;
export const MIGRATE_IMAGE = serviceImage('migrate');
export const DEVCHAIN_IMAGE = serviceImage('devchain');

/** A source tree to build from, and the tag its images get. */
export interface Release {
  root: string;
  tag: string;
}
const CURRENT: Release = { root: ROOT, tag: TAG };

export interface Built {
  name: string;
  image: string;
  bytes: number;
  seconds: number;
}

function buildArgs(baseImage: string, root: string): string[] {
  const args = ['build', '--network', 'host', '--layers', '-f', join(root, 'docker', 'Dockerfile')];
  args.push('--ignorefile', join(root, 'docker', 'Dockerfile.dockerignore'));
  args.push('--build-arg', `NODE_IMAGE=${baseImage}`);
  // npm traffic from the build goes through this machine's TLS proxy: its CA, mounted for the
  // build only (a build argument, never part of an image).
  const ca = proxyCaBundle();
  if (ca) args.push('-v', `${join(ca, '..')}:/run/build-ca:ro`, '--build-arg', 'NODE_EXTRA_CA_CERTS=/run/build-ca/bundle.crt');
  return args;
}

async function build(name: string, image: string, extra: string[], baseImage: string, log: (s: string) => void, root = ROOT): Promise<Built> {
  const t0 = Date.now();
  await podman([...buildArgs(baseImage, root), ...extra, '-t', image, root], { echo: process.env.CONTAINERS_VERBOSE ? `[build ${name}]` : undefined, timeoutMs: 15 * 60_000 });
  const built = { name, image, bytes: await imageSize(image), seconds: (Date.now() - t0) / 1000 };
  log(`built ${image} in ${built.seconds.toFixed(0)} s`);
  return built;
}

export const services = (): string[] => servicePackages();
export const workerServices = (): string[] => workerNames();

export const buildService = (s: string, baseImage: string, log: (s: string) => void, r: Release = CURRENT) =>
  build(s, serviceImage(s, r.tag), ['--build-arg', `SERVICE=${s}`, '--target', 'runtime'], baseImage, log, r.root);
// Prisma's schema engine cannot be downloaded here: say that the SQL path is wanted, or the build fails.
export const buildMigrate = (baseImage: string, log: (s: string) => void, r: Release = CURRENT) =>
  build('migrate', serviceImage('migrate', r.tag), ['--target', 'migrate', '--build-arg', 'ALLOW_SQL_MIGRATIONS=true'], baseImage, log, r.root);
export const buildDevchain = (baseImage: string, log: (s: string) => void) => build('devchain', DEVCHAIN_IMAGE, ['--target', 'devchain'], baseImage, log);
