import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { QUEUES, defineService, startService, type RunningService } from '@vaults/shared';
import { createTestDatabase, testEnv, uniqueQueueSuffix, type TestDatabase } from '@vaults/testkit';

// increase()/rate() see a counter's first increment only when the series already existed: every
// failure reason and retry cause the job processor can use must be on /metrics at 0 as soon as
// a worker starts. The reasons are read from the processor's code (each string literal passed to
// `fail(...)`, each one `cause` can take), not from a list kept beside it, so a reason added to
// the code without its series fails here.

const SOURCE = join(__dirname, '../src/platform/job-processor.ts');

function literalsIn(node: ts.Node): string[] {
  if (ts.isStringLiteral(node)) return [node.text];
  const found: string[] = [];
  node.forEachChild((child) => void found.push(...literalsIn(child)));
  return found;
}

/** The string literals of `fail(<here>, ...)` calls and of `const cause = <here>` in the processor. */
function labelsInCode(source: string): { reasons: string[]; causes: string[] } {
  const file = ts.createSourceFile('job-processor.ts', source, ts.ScriptTarget.ES2022, true);
  const reasons = new Set<string>();
  const causes = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'fail' && node.arguments[0]) {
      for (const l of literalsIn(node.arguments[0])) reasons.add(l);
    }
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'cause' && node.initializer) {
      for (const l of literalsIn(node.initializer)) causes.add(l);
    }
    node.forEachChild(visit);
  };
  visit(file);
  return { reasons: [...reasons].sort(), causes: [...causes].sort() };
}

let db: TestDatabase;
let service: RunningService;

beforeAll(async () => {
  db = await createTestDatabase();
  const def = defineService({
    name: 'trade-worker',
    queue: 'trade',
    handlers: { TradeExecuted: async () => undefined },
    createDeps: () => ({}),
  });
  service = await startService(def, { env: testEnv(db.url), queueSuffix: uniqueQueueSuffix() });
});

afterAll(async () => {
  await service?.close();
  await db?.drop();
});

it('finds the reasons and causes in the code (the reading is not vacuous)', () => {
  const { reasons, causes } = labelsInCode(readFileSync(SOURCE, 'utf8'));
  // The four of docs/CONTRACT.md at least; more is fine (the next test checks each).
  expect(reasons).toEqual(expect.arrayContaining(['conflicting_copy', 'exhausted', 'invalid', 'unknown_job']));
  expect(causes).toEqual(expect.arrayContaining(['not_ready', 'transient']));
  expect(labelsInCode(`const fail = (r: string) => r; fail(x ? 'a' : 'b'); const cause = y ? 'c' : 'd';`)).toEqual({ reasons: ['a', 'b'], causes: ['c', 'd'] });
});

it("exports every reason and cause of the processor's code at 0 from a worker's start-up", async () => {
  const { reasons, causes } = labelsInCode(readFileSync(SOURCE, 'utf8'));
  const body = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
  const queue = QUEUES.trade.name;
  const missing = [
    ...reasons.map((reason) => `vaults_jobs_failed_total{queue="${queue}",job_name="TradeExecuted",reason="${reason}",service="trade-worker"} 0`),
    ...causes.map((cause) => `vaults_jobs_retried_total{queue="${queue}",job_name="TradeExecuted",cause="${cause}",service="trade-worker"} 0`),
  ].filter((line) => !body.includes(line));
  expect(missing).toEqual([]);
});
