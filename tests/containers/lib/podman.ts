import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, type RunOptions } from './sh';

// Podman and buildah as this machine runs them (docs/CONTAINERS.md): the runc runtime with
// cgroupfs (crun fails on this kernel's hybrid cgroups) and ulimits no higher than podman's own
// (runc fails on setrlimit otherwise). The configuration is written under the cache folder and
// handed to every call through CONTAINERS_CONF; /etc/containers is left alone.

export const CACHE = process.env.VAULTS_CI_CACHE ?? '/var/cache/vaults-ci';

function shellLimit(flag: '-n' | '-u', hard = false): number {
  const out = execSync(`ulimit ${hard ? '-H' : '-S'} ${flag}`, { shell: '/bin/bash', encoding: 'utf8' }).trim();
  return out === 'unlimited' ? 1_048_576 : Number(out);
}

let confPath: string | undefined;

/** Writes containers.conf once per run and returns the environment that points the tools at it. */
export function containersEnv(): NodeJS.ProcessEnv {
  if (!confPath) {
    mkdirSync(CACHE, { recursive: true });
    confPath = join(CACHE, 'containers.conf');
    const nofile = Math.min(shellLimit('-n'), shellLimit('-n', true));
    const nproc = Math.min(shellLimit('-u'), shellLimit('-u', true), 32768);
    writeFileSync(
      confPath,
      [
        '# written by tests/containers (pnpm test:containers)',
        '[containers]',
        `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
        '[engine]',
        'runtime = "runc"',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        '',
      ].join('\n'),
    );
  }
  return { ...process.env, CONTAINERS_CONF: confPath };
}

export const podman = (args: string[], opts: RunOptions = {}) => run('podman', args, { env: containersEnv(), ...opts });

export async function imageExists(ref: string): Promise<boolean> {
  return (await podman(['image', 'exists', ref], { allowFail: true })).code === 0;
}

/** Image size in bytes as podman reports it (uncompressed, all layers). */
export async function imageSize(ref: string): Promise<number> {
  const { stdout } = await podman(['image', 'inspect', '--format', '{{.Size}}', ref]);
  return Number(stdout.trim());
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** The CA bundle of this machine's TLS proxy, as one file for NODE_EXTRA_CA_CERTS (or none). */
export function proxyCaBundle(): string | undefined {
  const dir = '/usr/local/share/ca-certificates';
  if (!existsSync(dir)) return undefined;
  const certs = readdirSync(dir).filter((f) => f.endsWith('.crt'));
  if (!certs.length) return undefined;
  const out = join(CACHE, 'build-ca');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'bundle.crt'), certs.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n'));
  return join(out, 'bundle.crt');
}
