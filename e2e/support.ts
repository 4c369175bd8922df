// Helpers for journeys that need a Margin Watch instance of their own (fault injection, alert webhooks) rather
// than the shared demo that playwright.config.ts starts: spawn the CLI on its own ports, talk to its simulators'
// fault-injection route, stop it; plus screenshots, and a recorder of every freshness change a card goes
// through, so states that last a fraction of a second (a reconnect) can still be asserted and pictured.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Locator, type Page, type TestInfo } from '@playwright/test';
import type { SimControl } from '../src/exchanges/server-types.ts';

/** The exchanges of the demo, in registry order (simulator i listens on the simulator port base + i). */
export const DEMO_EXCHANGES = ['bitopro', 'bitso', 'b2prime', 'valr'] as const;
export type DemoExchange = (typeof DEMO_EXCHANGES)[number];

/** The demo account of each exchange (its simulator's fake credentials sign for it). */
export const DEMO_ACCOUNT: Record<DemoExchange, string> = {
  bitopro: 'bitopro-demo',
  bitso: 'bitso-demo',
  b2prime: 'b2prime-demo',
  valr: 'valr-demo',
};

/** Sends a fault-injection command to a simulator: its port on loopback, or its base URL. */
export async function simControl(simulator: number | string, command: SimControl): Promise<void> {
  const base = typeof simulator === 'number' ? `http://127.0.0.1:${simulator}` : simulator;
  const response = await fetch(`${base}/__sim/control`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(command),
  });
  expect(response.ok, `simulator ${base} refused ${JSON.stringify(command)}`).toBe(true);
}

/** The header the proxy wants on API requests (as the dashboard sends it); /api/health does without. */
export const API_HEADERS = { 'x-margin-watch': '1' };

/** GETs JSON from the proxy's API, failing the test on a non-2xx answer. */
export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: API_HEADERS });
  expect(response.ok, `GET ${url}: HTTP ${response.status}`).toBe(true);
  return (await response.json()) as T;
}

export interface ProxyOptions {
  /** Listen port; 0 (the default) lets the system pick a free one. */
  port?: number;
  /** Seed of the demo simulators (keep it small: the same seed gives the same level paths). */
  seed: number;
  /** Simulators listen on base, base + 1, … in registry order; omitted: free ports. */
  simulatorPortBase?: number;
  /**
   * Settings for demo mode (a config file's `server`, `history` and `alerts` sections, no accounts): written to a
   * config file of this instance's own and passed with `--demo --config`.
   */
  settings?: Record<string, unknown>;
  /** Further CLI arguments. */
  args?: readonly string[];
  /** How long the instance may take to be ready (ms); default 60 s. */
  startTimeoutMs?: number;
}

/** A running `src/proxy/cli.ts` child process. */
export interface ProxyInstance {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Base URL of each demo simulator (demo mode only), as the CLI printed it. */
  simulators: Partial<Record<string, string>>;
  /** Sends a fault-injection command to an exchange's simulator. */
  control(exchange: DemoExchange, command: SimControl): Promise<void>;
  /** Everything the process wrote on stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after 15 s). Safe to call twice. */
  stop(): Promise<void>;
}

const READY = /^Margin Watch ready at (http:\/\/\S+) /m;
const SIMULATOR = /^\s+([a-z0-9-]+) simulator: (http:\/\/\S+)/gm;

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Spawns `node --import tsx src/proxy/cli.ts --no-build` (dist/ must be built) and resolves once it has printed
 * where it is ready and answers /api/health. Without --config it runs demo mode with its own simulators.
 */
export async function startProxy(options: ProxyOptions): Promise<ProxyInstance> {
  let settingsDir: string | undefined;
  const settingsArgs: string[] = [];
  if (options.settings) {
    settingsDir = mkdtempSync(join(tmpdir(), 'margin-watch-e2e-settings-'));
    const file = join(settingsDir, 'settings.config.json');
    writeFileSync(file, JSON.stringify(options.settings, null, 2));
    settingsArgs.push('--demo', '--config', file);
  }
  const args = [
    '--import',
    'tsx',
    'src/proxy/cli.ts',
    '--no-build',
    '--port',
    String(options.port ?? 0),
    '--seed',
    String(options.seed),
    ...(options.simulatorPortBase !== undefined
      ? ['--simulator-port-base', String(options.simulatorPortBase)]
      : []),
    ...settingsArgs,
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let all = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    all += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => (all += chunk.toString()));

  const removeSettings = (): void => {
    if (settingsDir) rmSync(settingsDir, { recursive: true, force: true });
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return removeSettings();
    const exited = waitForExit(child);
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
    removeSettings();
  };

  let url = '';
  try {
    await expect
      .poll(
        async () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`the proxy (${args.slice(2).join(' ')}) exited:\n${all}`);
          }
          const ready = READY.exec(stdout);
          if (!ready?.[1]) return false;
          url = ready[1];
          try {
            return (await fetch(`${url}/api/health`)).ok;
          } catch {
            return false;
          }
        },
        {
          timeout: options.startTimeoutMs ?? 60_000,
          intervals: [100, 250, 500],
          message: `the proxy (${args.slice(2).join(' ')}) did not start`,
        },
      )
      .toBe(true);
  } catch (err) {
    await stop();
    throw err;
  }

  const simulators: Partial<Record<string, string>> = {};
  for (const [, exchange, simUrl] of stdout.matchAll(SIMULATOR)) {
    if (exchange && simUrl) simulators[exchange] = simUrl;
  }
  return {
    url,
    port: Number(new URL(url).port),
    simulators,
    async control(exchange, command) {
      const sim = simulators[exchange];
      if (!sim) throw new Error(`this instance has no ${exchange} simulator:\n${stdout}`);
      await simControl(sim, command);
    },
    output: () => all,
    stop,
  };
}

/** Attaches a screenshot of the page (or of one element) to the test's report. */
export async function attachScreenshot(
  testInfo: TestInfo,
  name: string,
  target: Page | Locator,
): Promise<void> {
  const body = 'goto' in target ? await target.screenshot({ fullPage: true }) : await target.screenshot();
  await testInfo.attach(`${name}.png`, { body, contentType: 'image/png' });
}

/** One change of a card's `data-freshness`, as the recorder saw it. */
export interface FreshnessChange {
  account: string;
  kind: string;
  /** The card's freshness line at that moment. */
  text: string;
  /** Browser clock, ms epoch. */
  at: number;
}

interface RecorderWindow {
  __freshness?: { changes: FreshnessChange[]; frozen: Record<string, { html: string; width: number }> };
}

/**
 * Records, from the page's first script on, every freshness change of every account card, with the card's
 * markup at that moment (see showFrozenCard). Call before page.goto.
 */
export async function recordFreshness(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const store = {
      changes: [] as FreshnessChange[],
      frozen: {} as Record<string, { html: string; width: number }>,
    };
    (window as RecorderWindow).__freshness = store;
    const seen = new Map<string, string>();
    const scan = (): void => {
      for (const card of document.querySelectorAll('[data-testid="account-card"]')) {
        const account = card.getAttribute('data-account-id') ?? '';
        const kind = card.getAttribute('data-freshness') ?? '';
        if (seen.get(account) === kind) continue;
        seen.set(account, kind);
        const text = card.querySelector('[data-testid="freshness"]')?.textContent ?? '';
        store.changes.push({ account, kind, text, at: Date.now() });
        store.frozen[`${account}:${kind}`] = {
          html: card.outerHTML,
          width: card.getBoundingClientRect().width,
        };
      }
    };
    new MutationObserver(scan).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-freshness'],
    });
  });
}

/** The freshness changes recorded so far (recordFreshness), oldest first; of one account when given. */
export async function freshnessChanges(page: Page, account?: string): Promise<FreshnessChange[]> {
  const changes = await page.evaluate(() => (window as RecorderWindow).__freshness?.changes ?? []);
  return account === undefined ? changes : changes.filter((c) => c.account === account);
}

/**
 * Attaches a picture of a card as it was rendered when it entered `kind` (recorded by recordFreshness), for
 * states gone before a screenshot could be taken: the recorded markup is shown in an overlay (test ids renamed,
 * so locators never see it), captured, and removed.
 */
export async function attachFrozenCard(
  page: Page,
  testInfo: TestInfo,
  name: string,
  account: string,
  kind: string,
): Promise<void> {
  const shown = await page.evaluate(
    ({ key, caption }) => {
      const frozen = (window as RecorderWindow).__freshness?.frozen[key];
      if (!frozen) return false;
      const overlay = document.createElement('div');
      overlay.id = 'e2e-frozen-card';
      overlay.setAttribute('aria-hidden', 'true');
      overlay.style.cssText =
        `position:fixed;top:8px;left:8px;z-index:2147483647;width:${Math.ceil(frozen.width)}px;` +
        'padding:8px;background:var(--bg, Canvas);outline:2px dashed #888;';
      const note = document.createElement('p');
      note.textContent = caption;
      note.style.cssText = 'margin:0 0 6px;font:12px monospace;';
      const body = document.createElement('div');
      body.innerHTML = frozen.html.replace(/\bdata-testid=/g, 'data-frozen-testid=');
      overlay.append(note, body);
      document.body.append(overlay);
      return true;
    },
    { key: `${account}:${kind}`, caption: `recorded when ${account} turned "${kind}"` },
  );
  expect(shown, `no recorded rendering of ${account} in state ${kind}`).toBe(true);
  const overlay = page.locator('#e2e-frozen-card');
  await attachScreenshot(testInfo, name, overlay);
  await overlay.evaluate((el) => el.remove());
}
