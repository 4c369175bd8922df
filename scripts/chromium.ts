// Which Chromium browser tests and benchmarks drive: Playwright's own when it is installed (a laptop after
// `npx playwright install chromium`), otherwise Debian's /usr/bin/chromium. Shared by playwright.config.ts and
// the browser benchmark.
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/** undefined: let Playwright use its own browser; else the system Chromium's path. */
export function chromiumExecutable(): string | undefined {
  try {
    const own = chromium.executablePath();
    if (own && existsSync(own)) return undefined;
  } catch {
    // no bundled browser registered
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

/** Flags for a headless Chromium on a machine without a sandbox, a GPU or an open network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
