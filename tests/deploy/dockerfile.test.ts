import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerIgnore, execForm, parseCopy, parseDockerfile, type Stage } from './support/dockerfile';
import { ROOT } from './support/repo';
import { NODE_VERSION } from '../containers/lib/node-version';

// Fast checks of docker/Dockerfile without building it (pnpm test:containers builds and runs the
// images): every file it copies from the build context exists and is not excluded by its ignore
// list, the stages chain up, and the images it produces run as non-root with the right command.

const DOCKERFILE = join(ROOT, 'docker', 'Dockerfile');
const stages = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
const ignored = dockerIgnore(readFileSync(join(ROOT, 'docker', 'Dockerfile.dockerignore'), 'utf8'));
const stage = (name: string) => stages.find((s) => s.name === name) as Stage;
const all = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword);
const last = (s: Stage, keyword: string) => all(s, keyword).pop();

it('has the stages deps -> compiled -> build -> runtime, plus migrate and devchain; runtime is the default (last) target', () => {
  expect(stages.map((s) => s.name)).toEqual(['deps', 'compiled', 'build', 'migrate-build', 'migrate', 'devchain', 'runtime']);
  expect(stage('compiled').from).toBe('deps');
  expect(stage('build').from).toBe('compiled');
});

it('images run a current Node LTS (22 or 24), the one the containers suite builds its base from, and engines allows it', () => {
  const nodeImage = /^ARG NODE_IMAGE=node:(\d+)[.-]/m.exec(readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8'))?.[1];
  expect(['22', '24']).toContain(nodeImage);
  expect(NODE_VERSION.split('.')[0]).toBe(nodeImage);
  const engines: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node;
  expect(Number(/>=\s*(\d+)/.exec(engines)?.[1])).toBeGreaterThanOrEqual(22);
});

it('CI and dev shells run the same Node as the images: .ci/run sources scripts/use-node.sh, which yields .node-version; @types/node has its major', () => {
  expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^\s*\. scripts\/use-node\.sh\s*$/m);
  const printed = execFileSync('bash', ['-c', '. scripts/use-node.sh 2>/dev/null && node --version'], { cwd: ROOT, encoding: 'utf8' });
  expect(printed.trim()).toBe(`v${NODE_VERSION}`);
  const types: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies['@types/node'];
  expect(types.split('.')[0]).toBe(NODE_VERSION.split('.')[0]);
});

it('every COPY from the build context names a path that exists and is not ignored', () => {
  const sources = stages.flatMap((s) =>
    all(s, 'COPY')
      .map((i) => parseCopy(i.args))
      .filter((c) => !c.flags.from)
      .flatMap((c) => c.sources),
  );
  expect(sources.length).toBeGreaterThan(3);
  for (const source of sources) {
    expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
    if (source !== '.') expect({ source, ignored: ignored(source) }).toEqual({ source, ignored: false });
  }
});

it('every COPY --from names an earlier stage', () => {
  stages.forEach((s, index) => {
    for (const c of all(s, 'COPY').map((i) => parseCopy(i.args)).filter((c) => c.flags.from)) {
      expect(stages.slice(0, index).map((p) => p.name)).toContain(c.flags.from);
    }
  });
});

it('the repository scripts that RUN steps call exist and reach the image', () => {
  const scripts = stages.flatMap((s) => all(s, 'RUN').flatMap((i) => [...i.args.matchAll(/\b((?:docker|scripts)\/[\w.-]+\.m?[jt]s)\b/g)].map((m) => m[1]!)));
  expect(scripts).toEqual(expect.arrayContaining(['scripts/prisma-generate.mjs', 'docker/apply-publish-config.mjs']));
  for (const script of scripts) {
    expect(existsSync(join(ROOT, script))).toBe(true);
    expect(ignored(script)).toBe(false);
  }
});

it('the ignore list keeps out build output, installed modules, git and env files, but not the sources', () => {
  for (const path of ['node_modules', 'packages/shared/node_modules/x', 'services/trade-worker/dist/main.js', '.git/HEAD', '.env', 'services/x/.env', 'packages/shared/src/generated/prisma/client.ts', 'tests/deploy/compose.test.ts']) {
    expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: true });
  }
  for (const path of ['package.json', 'pnpm-lock.yaml', 'services/trade-worker/src/main.ts', 'packages/shared/src/index.ts', 'prisma/schema.prisma', 'tests/package.json']) {
    expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: false });
  }
});

it('installs from the lockfile, generates the Prisma client, builds the chosen SERVICE and deploys production dependencies only', () => {
  const runs = (s: string) => all(stage(s), 'RUN').map((i) => i.args).join('\n');
  expect(runs('deps')).toMatch(/pnpm install --frozen-lockfile/);
  expect(runs('deps')).toMatch(/scripts\/prisma-generate\.mjs/);
  expect(all(stage('build'), 'ARG').map((i) => i.args)).toContain('SERVICE');
  expect(runs('compiled')).toMatch(/--filter "\{\.\/services\/\*\}\.\.\." run build/);
  expect(runs('build')).toMatch(/deploy --prod\b.* \/out\b/);
});

it('the runtime image holds only the deployed service, runs it as a numeric non-root user on port 9100', () => {
  const runtime = stage('runtime');
  const copies = all(runtime, 'COPY').map((i) => parseCopy(i.args));
  expect(copies.map((c) => [c.flags.from, c.sources.join(' ')])).toEqual([['build', '/out']]);
  expect(last(runtime, 'USER')?.args).toMatch(/^[1-9]\d*(:\d+)?$/);
  expect(execForm(last(runtime, 'CMD')!.args)).toEqual(['node', 'dist/main.js']);
  expect(last(runtime, 'EXPOSE')?.args.split(/\s+/)).toContain('9100');
  expect(last(runtime, 'ENV')?.args).toMatch(/\bMETRICS_PORT=9100\b/);
});

it('the migrate image runs docker/migrate.cjs (prisma migrate deploy with the engine, the SQL without) as a numeric non-root user', () => {
  const migrate = stage('migrate');
  expect(execForm(last(migrate, 'CMD')!.args)).toEqual(['node', 'migrate.cjs']);
  expect(last(migrate, 'USER')?.args).toMatch(/^[1-9]\d*(:\d+)?$/);
  expect(all(migrate, 'ENV').map((i) => i.args).join(' ')).toMatch(/PRISMA_SCHEMA_ENGINE_BINARY=/);
  const runs = all(stage('migrate-build'), 'RUN').map((i) => i.args).join('\n');
  for (const file of ['docker/migrate.cjs', 'prisma', 'prisma.config.ts', 'packages/shared/dist/platform/migrate.js']) expect(runs).toContain(file);
  // Every compiled shared file the stage copies is built from a source that exists (a moved file
  // must move its copy too).
  for (const [, path] of runs.matchAll(/packages\/shared\/dist\/([\w/.-]+)\.js/g)) {
    expect(existsSync(join(ROOT, 'packages', 'shared', 'src', `${path}.ts`))).toBe(true);
  }
  // The CLI version is read from the root package.json, which must pin it exactly.
  const prisma = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies.prisma;
  expect(prisma).toMatch(/^\d+\.\d+\.\d+$/);
});

describe('docker/apply-publish-config.mjs', () => {
  const script = join(ROOT, 'docker', 'apply-publish-config.mjs');
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'deploy-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A deploy folder as pnpm leaves it: the package.json hard-linked to the workspace's own. */
  function deployFolder(built: boolean) {
    const workspacePkg = join(dir, 'workspace-package.json');
    const pkg = { name: '@vaults/shared', main: 'src/index.ts', publishConfig: { main: 'dist/index.js', types: 'dist/index.d.ts' } };
    writeFileSync(workspacePkg, JSON.stringify(pkg));
    const injected = join(dir, 'out', 'node_modules', '.pnpm', '@vaults+shared@file+packages+shared', 'node_modules', '@vaults', 'shared');
    mkdirSync(join(injected, 'dist'), { recursive: true });
    if (built) writeFileSync(join(injected, 'dist', 'index.js'), '');
    linkSync(workspacePkg, join(injected, 'package.json'));
    return { workspacePkg, injectedPkg: join(injected, 'package.json') };
  }

  it('points the deployed workspace package at its compiled dist, leaving the workspace file alone', () => {
    const { workspacePkg, injectedPkg } = deployFolder(true);
    execFileSync(process.execPath, [script, join(dir, 'out')], { stdio: 'pipe' });
    expect(JSON.parse(readFileSync(injectedPkg, 'utf8')).main).toBe('dist/index.js');
    expect(JSON.parse(readFileSync(workspacePkg, 'utf8')).main).toBe('src/index.ts');
  });

  it('fails the build when the compiled entry point is missing', () => {
    deployFolder(false);
    expect(() => execFileSync(process.execPath, [script, join(dir, 'out')], { stdio: 'pipe' })).toThrow(/does not exist/);
  });
});
