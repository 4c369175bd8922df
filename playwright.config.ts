import { defineConfig, devices } from '@playwright/test';
import type { StoreOptions } from './e2e/store.ts';
import { CHROMIUM_ARGS, chromiumExecutable } from './scripts/chromium.ts';

export const E2E_PORT = 5199;
/** Demo simulators listen on consecutive ports from here (registry order), so journeys can inject faults. */
export const E2E_SIM_PORT_BASE = 5210;

export default defineConfig<StoreOptions>({
  testDir: 'e2e',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    ...devices['Desktop Chrome'],
    launchOptions: {
      executablePath: chromiumExecutable(),
      args: CHROMIUM_ARGS,
    },
  },
  // Every journey runs once on the embedded store (the SQLite file); the history and alert journeys run a second
  // time with history and alerts in PostgreSQL (a throwaway server, see e2e/store.ts).
  projects: [
    { name: 'sqlite', use: { storeKind: 'sqlite' } },
    { name: 'postgres', testMatch: /(history|alerts)\.spec\.ts$/, use: { storeKind: 'postgres' } },
  ],
  webServer: {
    command: `node --import tsx src/proxy/cli.ts --no-build --port ${E2E_PORT} --seed 42 --simulator-port-base ${E2E_SIM_PORT_BASE}`,
    url: `http://127.0.0.1:${E2E_PORT}/api/health`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
