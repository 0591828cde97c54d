import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer, createRedis } from '@vaults/shared';
import { DEVCHAIN_FACTORY, DevChain } from '@vaults/devchain';
import type { AnyEvent } from '@vaults/testkit';
import { replay, Status } from '../../../scripts/demo/replay';
import { verify } from '../../../scripts/demo/report';
import { generateStream } from '../../../scripts/demo/stream';
import { ROOT, workerNames } from '../../deploy/support/repo';
import { localMetricsPort } from '../../deploy/support/services';
import { freePort } from '../../faults/lib/util';
import { onInterrupt } from '../lib/cleanup';
import { httpStatus } from '../lib/containers';
import { serviceImage } from '../lib/images';
import { drain } from '../lib/system';
import { containersEnv, podman } from '../lib/podman';
import { check, expectThat, log } from '../lib/report';
import { run, sleep, waitFor } from '../lib/sh';

// docker/compose.yaml run by Debian's docker-compose (1.29) against `podman system service`, with
// tests/containers/compose.ci.yaml swapping in the Postgres and Redis stand-ins. One command brings
// it up; the workers become ready; a demo stream drains into the database as the reference model
// says; `--profile chain` then adds anvil with the reference contracts and a seeded session and
// the indexer, which indexes it to the head, and the database equals the reference model of the
// stream and the chain's events; `down` removes everything. What compose asked for and podman
// did is checked one by one.

/**
 * docker/compose.yaml as docker-compose 1.29 can read it: it rejects the Compose specification's
 * top-level `name:` (the project name is given with -p instead), and the copy lives in a temporary
 * folder, so its relative build contexts are made absolute. Nothing else is changed.
 */
function composeFileFor129(dir: string): string {
  const text = readFileSync(join(ROOT, 'docker', 'compose.yaml'), 'utf8');
  expectThat(/^name: \S+$/m.test(text), 'docker/compose.yaml no longer has a top-level name: update this adaptation');
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, text.replace(/^name: \S+\n/m, '').replace(/context: \.\./g, `context: ${ROOT}`));
  return file;
}

interface Inspect {
  Name: string;
  State: { Status: string; ExitCode: number; StartedAt: string; FinishedAt: string; Health?: { Status: string; Log?: { ExitCode: number; Output: string }[] } };
  Config: { StopTimeout?: number; Healthcheck?: { Test: string[] }; Labels: Record<string, string> };
  HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[]; SecurityOpt: string[]; RestartPolicy: { Name: string }; Tmpfs?: Record<string, string> };
}

/** podman has no systemd timers here, so the test runs the containers' health checks itself. */
function healthLoop(project: string): () => void {
  let on = true;
  void (async () => {
    while (on) {
      const ps = await podman(['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}}'], { allowFail: true });
      for (const name of ps.stdout.split('\n').filter(Boolean)) await podman(['healthcheck', 'run', name], { allowFail: true });
      await sleep(2000);
    }
  })();
  return () => (on = false);
}

async function inspectProject(project: string): Promise<Map<string, Inspect>> {
  const ids = (await podman(['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.ID}}'])).stdout.split('\n').filter(Boolean);
  if (!ids.length) return new Map();
  const all = JSON.parse((await podman(['inspect', ...ids])).stdout) as Inspect[];
  return new Map(all.map((c) => [c.Config.Labels['com.docker.compose.service']!, c]));
}

export async function composeChecks(): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  const project = `vaultsci${tag}`;
  const socket = `/tmp/vaults-ci-podman-${tag}.sock`;
  const service: ChildProcess = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], { env: containersEnv(), stdio: 'ignore' });
  const ports: Record<string, string> = { POSTGRES_PORT: String(await freePort(25432)), REDIS_PORT: String(await freePort(26379)) };
  ports.ANVIL_PORT = String(await freePort(28545));
  ports.INDEXER_PORT = String(await freePort(29200));
  const workerPort = new Map<string, number>();
  for (const w of workerNames()) {
    const port = await freePort(29100);
    workerPort.set(w, port);
    ports[`${w.replace(/-worker$/, '').toUpperCase()}_WORKER_PORT`] = String(port);
  }
  const env = { ...containersEnv(), ...ports, DOCKER_HOST: `unix://${socket}`, COMPOSE_PROJECT_NAME: project };
  const composeDb = `postgresql://vaults:vaults@127.0.0.1:${ports.POSTGRES_PORT}/vaults`;
  const dir = mkdtempSync(join(tmpdir(), 'vaults-compose-'));
  const files = ['-f', composeFileFor129(dir), '-f', join(__dirname, '..', 'compose.ci.yaml')];
  const compose = (args: string[], timeoutMs = 300_000) => run('docker-compose', ['-p', project, ...files, ...args], { env, timeoutMs, allowFail: true });
  let stopHealth = () => {};
  const unregister = onInterrupt(async () => {
    await compose(['--profile', 'chain', 'down', '-v', '--timeout', '5'], 60_000);
    service.kill('SIGKILL');
  });
  try {
    await waitFor(async () => (await podman(['--url', `unix://${socket}`, 'version'], { allowFail: true })).code === 0, 20_000, 'podman system service');
    // The compose file names the images vaults/<service>:local; these are the ones just built.
    for (const w of [...workerNames(), 'indexer', 'migrate', 'devchain']) await podman(['tag', serviceImage(w), `docker.io/vaults/${w}:local`]);
    stopHealth = healthLoop(project);

    let up = '';
    const upOk = await check('compose: `docker-compose up -d` brings the system up with one command', async () => {
      const r = await compose(['up', '-d', '--no-build']);
      up = `${r.stdout}${r.stderr}`.trim();
      expectThat(r.code === 0, `exit ${r.code}:\n${up.split('\n').slice(-15).join('\n')}`);
      return up.split('\n').filter((l) => /done|Creating|Starting/.test(l)).length + ' lines of progress, exit 0';
    });
    if (!upOk) return;

    await check('compose: every worker becomes ready (/readyz 200 on its published port) and healthy', async () => {
      for (const [w, port] of workerPort) await waitFor(async () => (await httpStatus(`http://127.0.0.1:${port}/readyz`)) === 200, 120_000, `${w} ready on :${port}`);
      // And healthy as compose sees it (the health loop runs the checks every few seconds).
      await waitFor(async () => [...(await inspectProject(project)).values()].every((c) => !c.Config.Healthcheck || c.State.Status === 'exited' || c.State.Health?.Status === 'healthy'), 90_000, 'every health check healthy');
      return [...workerPort].map(([w, p]) => `${w} :${p} (default ${localMetricsPort(w)})`).join(', ');
    });

    const sent: AnyEvent[] = [];
    await check('compose: the demo stream drains and the database equals the reference model', async () => {
      const connection = createRedis(`redis://127.0.0.1:${ports.REDIS_PORT}`, 'fail-fast');
      connection.on('error', () => undefined);
      const producer = new Producer({ connection, prefix: 'bull' });
      try {
        const stream = generateStream({ seed: '11', vaults: 4, followers: 100, trades: 1500, endTimestamp: Math.floor(Date.now() / 1000) });
        const result = await replay(producer, stream, new Status(false), 180_000);
        const failed = Object.values(result.failed).reduce((a, b) => a + b, 0);
        expectThat(failed === 0, `${failed} job(s) failed`);
        sent.push(...stream.sends.map((s) => s.event));
        const diffs = await verify(composeDb, sent);
        expectThat(diffs.length === 0, diffs.slice(0, 10).join('\n'));
        return `${stream.sends.length} jobs drained in ${result.seconds.toFixed(1)} s`;
      } finally {
        await producer.close().catch(() => undefined);
        connection.disconnect();
      }
    });

    const running = await inspectProject(project);
    const honoured: [string, boolean][] = [];
    const w0 = running.get(workerNames()[0]!)!;
    const migrate = running.get('migrate');
    const pg = running.get('postgres');
    honoured.push(['depends_on: service_completed_successfully (migrate exited 0 before the workers started)', Boolean(migrate && migrate.State.ExitCode === 0 && migrate.State.FinishedAt <= w0.State.StartedAt)]);
    honoured.push(['depends_on: service_healthy (postgres healthy)', pg?.State.Health?.Status === 'healthy']);
    honoured.push(['healthcheck, exec form (run by the test: podman needs systemd timers)', [...running.values()].every((c) => !c.Config.Healthcheck || c.State.Health?.Status === 'healthy' || c.State.Status === 'exited')]);
    honoured.push(['stop_grace_period: 45s', w0.Config.StopTimeout === 45]);
    honoured.push(['read_only: true', w0.HostConfig.ReadonlyRootfs === true]);
    honoured.push(['tmpfs: [/tmp]', Boolean(w0.HostConfig.Tmpfs && '/tmp' in w0.HostConfig.Tmpfs)]);
    honoured.push(['cap_drop: [ALL]', (w0.HostConfig.CapDrop ?? []).some((c) => /ALL/i.test(c)) || (w0.HostConfig.CapDrop ?? []).length > 10]);
    honoured.push(['security_opt: no-new-privileges', (w0.HostConfig.SecurityOpt ?? []).some((o) => /no-new-privileges/.test(o))]);
    honoured.push(['restart: unless-stopped', w0.HostConfig.RestartPolicy?.Name === 'unless-stopped']);
    honoured.push(['profiles: [tools] (bull-board not started)', !running.has('bull-board')]);
    honoured.push(['profiles: [chain] (anvil, chain-setup, indexer not started without --profile chain)', !['anvil', 'chain-setup', 'indexer'].some((c) => running.has(c))]);
    await check('compose: what docker/compose.yaml asks for, as podman ran it', async () => {
      const missing = honoured.filter(([, ok]) => !ok).map(([f]) => f);
      log(`compose features: ${honoured.map(([f, ok]) => `${ok ? 'honoured' : 'NOT honoured'}: ${f}`).join('; ')}`);
      const health = [...running.values()].map((c) => `${c.Config.Labels['com.docker.compose.service']}: ${c.State.Health?.Status ?? 'no health check'} ${JSON.stringify(c.State.Health?.Log?.slice(-1) ?? [])}`);
      expectThat(missing.length === 0, `not honoured: ${missing.join('; ')}\nhealth: ${health.join('\n')}`);
      return `${honoured.length} honoured`;
    });

    const chainUp = await check('compose: `--profile chain up` adds anvil, the reference contracts (a seeded session) and the indexer; it indexes to the head, the queues drain, the database equals the reference model of the stream and the chain', async () => {
      const r = await compose(['--profile', 'chain', 'up', '-d', '--no-build']);
      expectThat(r.code === 0, `exit ${r.code}:\n${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-15).join('\n')}`);
      const indexer = `http://127.0.0.1:${ports.INDEXER_PORT}`;
      await waitFor(async () => (await httpStatus(`${indexer}/readyz`).catch(() => 0)) === 200, 180_000, `the indexer ready on :${ports.INDEXER_PORT}`);
      const chain = await new DevChain(`http://127.0.0.1:${ports.ANVIL_PORT}`).init();
      chain.factory = DEVCHAIN_FACTORY;
      const head = await chain.head();
      let cursor = -1;
      await waitFor(async () => {
        cursor = Number(/^vaults_indexer_cursor_block(?:\{[^}]*\})? (\d+)/m.exec(await (await fetch(`${indexer}/metrics`)).text())?.[1] ?? -1);
        return cursor >= head;
      }, 120_000, `the indexer's cursor at the head ${head}`);
      const events = await chain.canonicalEvents();
      const connection = createRedis(`redis://127.0.0.1:${ports.REDIS_PORT}`, 'fail-fast');
      connection.on('error', () => undefined);
      const producer = new Producer({ connection, prefix: 'bull' });
      try {
        await drain(producer, 120_000);
      } finally {
        await producer.close().catch(() => undefined);
        connection.disconnect();
      }
      const diffs = await verify(composeDb, [...sent, ...events]);
      expectThat(diffs.length === 0, diffs.slice(0, 10).join('\n'));
      return `chain head ${head}, ${events.length} contract events indexed (cursor ${cursor}) and drained; database equals the reference of ${sent.length} stream + ${events.length} chain events`;
    });

    await check('compose: `docker-compose stop` then `down -v`: workers exit 0 on SIGTERM, nothing is left', async () => {
      const stop = await compose(['--profile', 'chain', 'stop']);
      expectThat(stop.code === 0, `stop exited ${stop.code}: ${stop.stderr}`);
      const stopped = await inspectProject(project);
      const bad = [...workerNames(), ...(chainUp ? ['indexer'] : [])].filter((w) => stopped.get(w)?.State.ExitCode !== 0);
      expectThat(bad.length === 0, bad.map((w) => `${w} exited ${stopped.get(w)?.State.ExitCode}`).join(', '));
      const down = await compose(['--profile', 'chain', 'down', '-v']);
      expectThat(down.code === 0, `down exited ${down.code}: ${down.stderr}`);
      const left = (await inspectProject(project)).size;
      const volumes = (await podman(['volume', 'ls', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Name}}'])).stdout.trim();
      const networks = (await podman(['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((n) => n.startsWith(project));
      expectThat(left === 0 && volumes === '' && networks.length === 0, `left: ${left} containers, volumes "${volumes}", networks ${networks.join(',')}`);
      return `workers exited 0; containers, volumes and network removed`;
    });
  } finally {
    unregister();
    stopHealth();
    await compose(['--profile', 'chain', 'down', '-v', '--timeout', '5'], 120_000).catch(() => undefined);
    service.kill('SIGTERM');
    rmSync(socket, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}
