import { baseObjects, byKind, migrationJob, podContainers, podSpecOf, type Obj } from './support/repo';

// One Job template per `vaults-ops` command (the interface agreed with services/ops): a suspended
// CronJob that `kubectl create job --from=cronjob/vaults-ops-<command>` runs, with the same
// Secret and ConfigMaps as the services, locked down like them, never scheduled by itself.

const COMMANDS = ['status', 'retry-failed', 'resnapshot', 'rewind'];
const objects = baseObjects();
const templates = byKind(objects, 'CronJob').filter((c) => c.metadata.labels?.['app.kubernetes.io/component'] === 'ops');

it('has exactly one template per command, suspended', () => {
  expect(templates.map((t) => t.metadata.name).sort()).toEqual(COMMANDS.map((c) => `vaults-ops-${c}`).sort());
  for (const t of templates) expect(t.spec.suspend).toBe(true);
});

it.each(COMMANDS)('vaults-ops-%s runs that command of the ops image, and writes nothing unless told (dry run where it writes)', (command) => {
  const t = templates.find((x) => x.metadata.name === `vaults-ops-${command}`)!;
  const [c] = podContainers(podSpecOf(t)) as Obj[];
  expect(c!.image).toBe('vaults/ops');
  expect(c!.args.slice(0, 3)).toEqual(['node', 'dist/main.js', command]);
  if (command === 'retry-failed' || command === 'rewind') expect(c!.args).toContain('--dry-run');
  expect(t.spec.jobTemplate.spec.backoffLimit).toBe(0);
});

it('reads the environment the services read, never the migration credentials, locked down like the migration Job', () => {
  const job = migrationJob(objects);
  for (const t of templates) {
    const pod = podSpecOf(t);
    const [c] = podContainers(pod) as Obj[];
    expect((c!.env as Obj[]).map((e) => e.valueFrom.secretKeyRef.name)).toEqual(expect.arrayContaining(['vaults-secrets']));
    expect((c!.env as Obj[]).some((e) => e.valueFrom?.secretKeyRef?.name === 'vaults-migration-secrets')).toBe(false);
    expect(c!.securityContext).toEqual(job.spec.template.spec.containers[0].securityContext);
    expect(pod.securityContext).toEqual(job.spec.template.spec.securityContext);
  }
});

it('the session-lock holders (the indexer, and `rewind`, which checks its writer lock) read DIRECT_DATABASE_URL from the Secret, optional (unset: DATABASE_URL)', () => {
  const indexer = byKind(objects, 'Deployment').find((d) => d.metadata.name === 'indexer')!;
  const rewind = templates.find((x) => x.metadata.name === 'vaults-ops-rewind')!;
  const mains = [podContainers(podSpecOf(indexer)).find((c) => c.name === 'indexer'), podContainers(podSpecOf(rewind))[0]] as Obj[];
  for (const c of mains) {
    const direct = (c.env as Obj[]).find((e) => e.name === 'DIRECT_DATABASE_URL');
    expect(direct?.valueFrom?.secretKeyRef).toEqual({ name: 'vaults-secrets', key: 'DIRECT_DATABASE_URL', optional: true });
  }
});
