import { podman } from './podman';
import { run, waitFor } from './sh';

// One service container as production runs it (docs/DEPLOYMENT.md): read-only root filesystem
// with a tmpfs on /tmp, no capabilities, no privilege escalation, the image's own non-root user.
// Host networking: the containers reach this machine's Postgres and Redis on 127.0.0.1, and each
// sidecar listens on a port of its own (METRICS_PORT), as a pod's would on its own IP.

export const HARDENING = ['--read-only', '--tmpfs', '/tmp:rw,size=64m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];

export interface Container {
  name: string;
  image: string;
  port?: number;
}

export async function startContainer(c: Container, env: Record<string, string>, extra: string[] = []): Promise<Container> {
  await podman(['rm', '-f', '--ignore', c.name], { allowFail: true });
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  await podman(['run', '-d', '--name', c.name, '--network', 'host', ...HARDENING, ...envArgs, ...extra, c.image]);
  return c;
}

/** Runs a container to completion (its image's command, or `command`); its exit code and output. */
export async function runToEnd(name: string, image: string, env: Record<string, string>, command: string[] = []) {
  await podman(['rm', '-f', '--ignore', name], { allowFail: true });
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  return podman(['run', '--name', name, '--network', 'host', ...HARDENING, ...envArgs, image, ...command], { allowFail: true, timeoutMs: 180_000 });
}

export async function state(name: string): Promise<{ running: boolean; exitCode: number; readOnly: boolean; user: string }> {
  const { stdout } = await podman(['inspect', '--format', '{{.State.Running}}|{{.State.ExitCode}}|{{.HostConfig.ReadonlyRootfs}}|{{.Config.User}}', name]);
  const [running, exitCode, readOnly, user] = stdout.trim().split('|');
  return { running: running === 'true', exitCode: Number(exitCode), readOnly: readOnly === 'true', user: user ?? '' };
}

export const exec = (name: string, cmd: string[]) => podman(['exec', name, ...cmd], { allowFail: true });
export const logs = async (name: string, tail = 30) => {
  const r = await podman(['logs', '--tail', String(tail), name], { allowFail: true });
  return `${r.stdout}${r.stderr}`;
};

export async function httpStatus(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  await res.arrayBuffer();
  return res.status;
}

/** /readyz answers 200; fails early, with the container's last log lines, if it exits. */
export async function waitReady(c: Container, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    async () => {
      const s = await state(c.name);
      if (!s.running) throw new Error(`${c.name} exited ${s.exitCode}:\n${await logs(c.name)}`);
      return (await httpStatus(`http://127.0.0.1:${c.port}/readyz`)) === 200;
    },
    timeoutMs,
    `${c.name} /readyz 200`,
    500,
  ).catch(async (err) => {
    throw new Error(`${(err as Error).message}\n${await logs(c.name)}`);
  });
}

/** `podman stop`: SIGTERM, then SIGKILL after the grace period; the exit code says which ended it. */
export async function stopContainer(name: string, graceSeconds: number): Promise<{ exitCode: number; seconds: number }> {
  const t0 = Date.now();
  await podman(['stop', '-t', String(graceSeconds), name], { timeoutMs: (graceSeconds + 30) * 1000 });
  return { exitCode: (await state(name)).exitCode, seconds: (Date.now() - t0) / 1000 };
}

export async function removeContainers(names: string[]): Promise<void> {
  if (names.length) await podman(['rm', '-f', '--ignore', ...names], { allowFail: true });
}

export { run };
