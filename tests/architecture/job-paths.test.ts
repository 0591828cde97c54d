import { readFileSync } from 'node:fs';
import { ARCHITECTURE, declarationOf, importsOf, jobPathRows, passedThrough, pathFiles, reach, rowProblem } from './job-paths';
import { ROOT } from './boundaries';
import { join } from 'node:path';

// The map (docs/ARCHITECTURE.md, "The path of each job") states how many files with logic each
// job goes through; this keeps the number true as the code moves.

const doc = readFileSync(ARCHITECTURE, 'utf8');

describe('job paths (docs/ARCHITECTURE.md)', () => {
  it('reads names through index files and tells code from types', () => {
    expect(importsOf(`import { a, type B, c as d } from './x';\nimport type { E } from '../y';\nimport * as z from 'z';`)).toEqual([
      { spec: './x', names: ['a', 'B', 'c'] },
      { spec: '../y', names: ['E'] },
      { spec: 'z' },
    ]);
    const shared = join(ROOT, 'packages/shared/src/index.ts');
    expect(declarationOf(shared, 'recordTrades')).toEqual({ file: join(ROOT, 'packages/shared/src/vault-events/record-trades.ts'), code: true });
    expect(declarationOf(shared, 'Infra')?.code).toBe(false);
    expect(declarationOf(shared, 'Producer')?.code).toBe(true);
    // The dispatch reaches the handler's use case only through the service's definition.
    expect(reach(['packages/shared/src/platform/job-processor.ts'])).not.toContain('packages/shared/src/vault-events/record-trades.ts');
    expect(reach(['services/trade-worker/src/service.ts'])).toContain('packages/shared/src/vault-events/record-trades.ts');
  });

  it('says which number to put where when a count is wrong', () => {
    const problem = rowProblem({ line: 7, jobs: 'TradeExecuted', service: 'x/service.ts', files: 8 }, ['a.ts', 'b.ts']);
    expect(problem).toMatch(/line 7, job path "TradeExecuted": the table says 8 files with logic, the imports give 2\. Put 2 in that row's third column/);
    expect(rowProblem({ line: 7, jobs: 'T', service: 'x/service.ts', files: 2 }, ['a.ts', 'b.ts'])).toBeUndefined();
  });

  it('has a row for every worker service and the indexer, and a list of what passes through', () => {
    const rows = jobPathRows(doc);
    expect(rows.map((r) => r.service).sort()).toEqual(
      ['follower-worker', 'snapshot-worker', 'trade-worker', 'vault-worker'].map((s) => `services/${s}/src/service.ts`).concat('services/indexer/src/indexer.ts').sort(),
    );
    expect(passedThrough(doc).length).toBeGreaterThan(0);
  });

  it('states the file count of each job path that the imports give', () => {
    const passed = passedThrough(doc);
    const problems = jobPathRows(doc).map((row) => rowProblem(row, pathFiles(row.service, passed)));
    expect(problems.filter(Boolean)).toEqual([]);
  });
});
