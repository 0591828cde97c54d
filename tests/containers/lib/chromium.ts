import { run } from './sh';

// Headless Chromium (Debian's package): a page as a person would see it, after its scripts ran.

const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1440,1000', '--virtual-time-budget=15000'];

export async function screenshot(url: string, file: string): Promise<void> {
  await run('chromium', [...FLAGS, `--screenshot=${file}`, url], { timeoutMs: 90_000 });
}

/** The page's DOM once its scripts settled. */
export async function renderedDom(url: string): Promise<string> {
  return (await run('chromium', [...FLAGS, '--dump-dom', url], { timeoutMs: 90_000 })).stdout;
}
