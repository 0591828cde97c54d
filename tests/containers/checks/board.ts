import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { QUEUES } from '@vaults/shared';
import { renderedDom, screenshot } from '../lib/chromium';
import { httpStatus, removeContainers, startContainer } from '../lib/containers';
import { serviceImage } from '../lib/images';
import { check, expectThat } from '../lib/report';
import { waitFor } from '../lib/sh';
import { freePort } from '../../faults/lib/util';
import { REDIS_URL, type System } from '../lib/system';

// Bull Board from its image, looked at with headless Chromium: a screenshot of the overview and of
// the failed job (saved as artefacts), and the rendered page names the four queues.

export const ARTIFACTS = process.env.CONTAINERS_ARTIFACTS ?? join(__dirname, '..', '..', '..', 'artifacts', 'containers');

export async function boardCheck(sys: System, failedReason: RegExp): Promise<void> {
  const port = await freePort(19300);
  const board = { name: `vaults-ci-bull-board-${sys.tag}`, image: serviceImage('bull-board'), port };
  try {
    await check('Bull Board (headless Chromium): the four queues and the failed job, screenshots saved', async () => {
      // Local mode: no basic auth, bound to 127.0.0.1 (host networking makes that this machine's).
      await startContainer(board, { REDIS_URL, QUEUE_PREFIX: sys.prefix, BULL_BOARD_PORT: String(port), BULL_BOARD_LOCAL: 'true' });
      await waitFor(async () => (await httpStatus(`http://127.0.0.1:${port}/healthz`)) === 200, 60_000, 'Bull Board /healthz');
      mkdirSync(ARTIFACTS, { recursive: true });
      const base = `http://127.0.0.1:${port}`;
      const overview = await renderedDom(`${base}/`);
      const names = Object.values(QUEUES).map((q) => q.name);
      const missing = names.filter((n) => !overview.includes(n));
      expectThat(missing.length === 0, `the page does not show ${missing.join(', ')}`);
      const failedUrl = `${base}/queue/${QUEUES.trade.name}?status=failed`;
      const failedPage = await renderedDom(failedUrl);
      expectThat(failedReason.test(failedPage), `the failed job's reason (${failedReason}) is not on ${failedUrl}`);
      await screenshot(`${base}/`, join(ARTIFACTS, 'bull-board-queues.png'));
      await screenshot(failedUrl, join(ARTIFACTS, 'bull-board-failed-job.png'));
      return `queues ${names.join(', ')} on the page; screenshots ${join(ARTIFACTS, 'bull-board-queues.png')}, ${join(ARTIFACTS, 'bull-board-failed-job.png')}`;
    });
  } finally {
    await removeContainers([board.name]);
  }
}
