import { join } from 'node:path';
import { ROOT, scanRepository, specifiers, violation } from './boundaries';

const at = (p: string) => join(ROOT, p);

describe('package boundaries (docs/ARCHITECTURE.md)', () => {
  it('flags what breaks a rule (the check is not vacuous)', () => {
    expect(violation(at('tests/workers/x.test.ts'), '@vaults/trade-worker/src/service')).toMatch(/internals/);
    expect(violation(at('bench/x.ts'), '../services/snapshot-worker/src/service')).toMatch(/outside/);
    expect(violation(at('packages/shared/src/platform/x.ts'), '../../../testkit/src/database')).toMatch(/outside/);
    expect(violation(at('packages/shared/src/contract/x.ts'), '../platform')).toMatch(/contract may import only itself/);
    expect(violation(at('services/indexer/test/x.ts'), '../../../scripts/workers')).toMatch(/scripts\/ from a package/);
    expect(violation(at('packages/devchain/src/stack.ts'), '../../../bench/lib/session')).toMatch(/bench\/ from a package/);
    expect(violation(at('packages/shared/src/platform/x.ts'), '../vault-events')).toMatch(/platform may import only contract/);
    expect(violation(at('packages/shared/src/vault-events/x.ts'), '../platform/db')).toMatch(/its index/);
    expect(violation(at('packages/shared/src/vault-events/x.ts'), 'bullmq')).toMatch(/only packages\/shared\/src\/platform\/ knows BullMQ/);
    expect(violation(at('packages/shared/src/contract/x.ts'), 'bullmq')).toMatch(/knows BullMQ/);
    expect(violation(at('services/trade-worker/src/service.ts'), 'bullmq')).toMatch(/knows BullMQ/);
    expect(violation(at('services/indexer/src/enqueue.ts'), 'bullmq')).toMatch(/knows BullMQ/);
    expect(specifiers(`import { a } from '@vaults/x/src/y';\nexport * from './z';\nconst m = require('../w');`)).toEqual(['@vaults/x/src/y', './z', '../w']);
  });

  it('lets through what the rules allow', () => {
    expect(violation(at('tests/workers/x.test.ts'), '@vaults/shared')).toBeUndefined();
    expect(violation(at('scripts/demo/x.ts'), '@vaults/devchain')).toBeUndefined();
    expect(violation(at('services/trade-worker/test/x.test.ts'), '../src/service')).toBeUndefined();
    expect(violation(at('packages/shared/src/vault-events/x.ts'), '../platform')).toBeUndefined();
    expect(violation(at('packages/shared/src/platform/x.ts'), '../generated/prisma/client')).toBeUndefined();
    expect(violation(at('packages/shared/src/platform/worker-lanes.ts'), 'bullmq')).toBeUndefined();
    expect(violation(at('services/ops/src/failed-jobs.ts'), 'bullmq')).toBeUndefined();
    expect(violation(at('packages/shared/test/x.unit.test.ts'), 'bullmq')).toBeUndefined();
  });

  it('holds over the repository', () => {
    const { files, problems } = scanRepository();
    expect(files).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });
});
