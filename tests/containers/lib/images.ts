import { join } from 'node:path';
import { ROOT, servicePackages } from '../../deploy/support/repo';
import { imageSize, podman, proxyCaBundle } from './podman';

// The images of every service under services/ (the same list the deployment tests use, so a new
// service is built without editing this file) and the migrate image, from docker/Dockerfile.

export const TAG = 'ci';
export const serviceImage = (service: string) => `localhost/vaults/${service}:${TAG}`;
export const MIGRATE_IMAGE = `localhost/vaults/migrate:${TAG}`;

export interface Built {
  name: string;
  image: string;
  bytes: number;
  seconds: number;
}

function buildArgs(baseImage: string): string[] {
  const args = ['build', '--network', 'host', '--layers', '-f', join(ROOT, 'docker', 'Dockerfile')];
  args.push('--ignorefile', join(ROOT, 'docker', 'Dockerfile.dockerignore'));
  args.push('--build-arg', `NODE_IMAGE=${baseImage}`);
  // npm traffic from the build goes through this machine's TLS proxy: its CA, mounted for the
  // build only (a build argument, never part of an image).
  const ca = proxyCaBundle();
  if (ca) args.push('-v', `${join(ca, '..')}:/run/build-ca:ro`, '--build-arg', 'NODE_EXTRA_CA_CERTS=/run/build-ca/bundle.crt');
  return args;
}

async function build(name: string, image: string, extra: string[], baseImage: string, log: (s: string) => void): Promise<Built> {
  const t0 = Date.now();
  await podman([...buildArgs(baseImage), ...extra, '-t', image, ROOT], { echo: process.env.CONTAINERS_VERBOSE ? `[build ${name}]` : undefined, timeoutMs: 15 * 60_000 });
  const built = { name, image, bytes: await imageSize(image), seconds: (Date.now() - t0) / 1000 };
  log(`built ${image} in ${built.seconds.toFixed(0)} s`);
  return built;
}

export const services = (): string[] => servicePackages();

export const buildService = (s: string, baseImage: string, log: (s: string) => void) =>
  build(s, serviceImage(s), ['--build-arg', `SERVICE=${s}`, '--target', 'runtime'], baseImage, log);
// Prisma's schema engine cannot be downloaded here: say that the SQL path is wanted, or the build fails.
export const buildMigrate = (baseImage: string, log: (s: string) => void) =>
  build('migrate', MIGRATE_IMAGE, ['--target', 'migrate', '--build-arg', 'ALLOW_SQL_MIGRATIONS=true'], baseImage, log);
