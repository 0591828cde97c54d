import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../faults/lib/util';
import { onInterrupt } from './cleanup';
import { waitFor } from './sh';

// A real Prometheus (Debian's package) scraping the running containers' sidecars the way the
// ServiceMonitors would in the cluster: each target carries the labels Kubernetes discovery adds
// (namespace, pod), and the PrometheusRule's groups are loaded as a rules file.

export interface Target {
  service: string;
  port: number;
}

export interface Prometheus {
  url: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

export const NAMESPACE = 'vaults';
export const SCRAPE_INTERVAL_S = 1;

export async function startPrometheus(targets: Target[], rulesYaml: string): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'vaults-prometheus-'));
  const port = await freePort(19090);
  writeFileSync(join(dir, 'rules.yaml'), rulesYaml);
  const config = {
    global: { scrape_interval: `${SCRAPE_INTERVAL_S}s`, evaluation_interval: `${SCRAPE_INTERVAL_S}s` },
    rule_files: [join(dir, 'rules.yaml')],
    scrape_configs: targets.map((t) => ({
      job_name: t.service,
      // ServiceMonitor honorLabels: true keeps the `service` label the process sets.
      honor_labels: true,
      static_configs: [{ targets: [`127.0.0.1:${t.port}`], labels: { namespace: NAMESPACE, pod: `${t.service}-0` } }],
    })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const unregister = onInterrupt(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, 30_000, `Prometheus ready (${stderr.split('\n').slice(-3).join(' ')})`);
  return {
    url,
    async query(expr: string) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: any[] } };
      if (body.status !== 'success') throw new Error(`query failed: ${body.error} — ${expr}`);
      if (body.data!.resultType !== 'vector') throw new Error(`expected a vector from ${expr}, got ${body.data!.resultType}`);
      return body.data!.result;
    },
    async stop() {
      unregister();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function targetsHealth(url: string): Promise<{ job: string; health: string; error: string }[]> {
  const body = (await (await fetch(`${url}/api/v1/targets`)).json()) as { data: { activeTargets: any[] } };
  return body.data.activeTargets.map((t) => ({ job: t.labels.job, health: t.health, error: t.lastError }));
}

export async function ruleHealth(url: string): Promise<{ name: string; health: string; state?: string; error?: string }[]> {
  const body = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: any[] } };
  return body.data.groups.flatMap((g) => g.rules.map((r: any) => ({ name: r.name, health: r.health, state: r.state, error: r.lastError })));
}
