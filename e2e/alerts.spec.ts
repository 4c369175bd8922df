// Alert journeys against the demo. The VALR simulator is pinned through its bands (margin fraction: caution
// below 0.1, liquidation below 0.05) with `POST /__sim/control {kind:'set-level'}`:
//   1. on the shared demo instance: the banner shows the crossing, the alert list records it, the all-clear
//      arrives once, and the banner is dismissable from the keyboard;
//   2. on an instance of its own (demo accounts plus an `alerts` config with a webhook to a loopback receiver):
//      the receiver gets exactly one POST per crossing, none for wobbles inside the hysteresis margin, and no
//      credential in any body.
//
// DOM used: [data-testid="alert-banner"] (role=alert) > [data-testid="alert-banner-item"][data-account]
// [data-rule][data-kind]; [data-testid="alert-list"] > [data-testid="alert-row"][data-account][data-rule]
// [data-kind]; the rules form on /alerts ("Settings for", "Repeat the same alert at most every", "Save rules").
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { E2E_SIM_PORT_BASE } from '../playwright.config.ts';
import { cardFor } from './selectors.ts';
import { getJson, simControl, sleep, startProxy, type ProxyInstance } from './support.ts';

/** Registry order: bitopro, bitso, b2prime, valr. */
const VALR_INDEX = 3;
const VALR = 'valr-demo';
/** The demo VALR account's fake secret: it must never appear in an alert. */
const VALR_SECRET = 'demo-valr-secret-not-real';

const SAFE = '0.2';
const CAUTION = '0.08';
/** Above the 0.1 caution line but within its 2 % margin (0.102): an alert must not clear here. */
const INSIDE_MARGIN = '0.101';
const LIQUIDATION = '0.04';
/** Longer than VALR's 5 s push interval, so several samples arrive at a pinned level. */
const SETTLE_MS = 6_000;

interface WireAlert {
  id: string;
  accountId: string;
  rule: string;
  kind: string;
  zone: string;
  level: string | null;
  at: number;
}

test.describe('alerts in the shared demo', () => {
  const valrSim = E2E_SIM_PORT_BASE + VALR_INDEX;

  test.afterAll(async () => {
    await simControl(valrSim, { kind: 'resume-walk' });
  });

  test('a zone crossing shows in the banner and the list, and clears once', async ({ page }) => {
    test.setTimeout(120_000);
    // No cooldown for this account, so an earlier crossing by the random walk cannot hold ours back.
    await page.goto('/alerts');
    await page.getByLabel('Settings for').selectOption({ label: 'VALR margin (demo)' });
    await page.getByLabel('Repeat the same alert at most every').fill('0');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expect(page.getByText('Saved.')).toBeVisible();

    await simControl(valrSim, { kind: 'set-level', level: SAFE });
    await page.goto('/');
    await expect(cardFor(page, VALR)).toHaveAttribute('data-zone', 'safe');

    const banner = page.getByRole('alert').and(page.getByTestId('alert-banner'));
    const valrZone = banner.locator(
      `[data-testid="alert-banner-item"][data-account="${VALR}"][data-rule="zone-worse"]`,
    );
    await simControl(valrSim, { kind: 'set-level', level: CAUTION });
    await expect(cardFor(page, VALR)).toHaveAttribute('data-zone', 'caution');
    await expect(valrZone).toHaveAttribute('data-kind', 'fired');
    await expect(valrZone).toContainText(`entered Caution — level ${CAUTION}`);

    // Keyboard: focus the alert's Dismiss button, Escape dismisses what the banner shows.
    await valrZone.getByRole('button', { name: /^Dismiss: / }).focus();
    await page.keyboard.press('Escape');
    await expect(valrZone).toHaveCount(0);

    await page.goto('/alerts');
    const rows = page
      .getByTestId('alert-list')
      .locator(`[data-testid="alert-row"][data-account="${VALR}"][data-rule="zone-worse"]`);
    await expect(rows.first()).toHaveAttribute('data-kind', 'fired');
    await expect(rows.first()).toContainText('Caution');

    await simControl(valrSim, { kind: 'set-level', level: SAFE });
    await expect(rows.first()).toHaveAttribute('data-kind', 'recovered');
    await expect(valrZone).toHaveAttribute('data-kind', 'recovered');

    // Back to the defaults for this account.
    await page.getByLabel('Settings for').selectOption({ label: 'VALR margin (demo) (own settings)' });
    await page.getByRole('button', { name: 'Use the defaults for this account' }).click();
    await expect(page.getByText('Saved.')).toBeVisible();
  });
});

// ---------------------------------------------------------------------------------------------------------------

/** The instance of the webhook journey: its own port and simulators, so the shared demo is not disturbed. */
const OWN_PORT = 5198;
const OWN_SIM_BASE = 5220;
const OWN_URL = `http://127.0.0.1:${OWN_PORT}`;

interface Received {
  path: string;
  body: Record<string, unknown>;
  raw: string;
}

function startReceiver(): Promise<{ server: Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      try {
        received.push({ path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown>, raw });
      } catch {
        received.push({ path: req.url ?? '', body: {}, raw });
      }
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as AddressInfo).port, received }),
    );
  });
}

test.describe('alert webhooks', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let proxy: ProxyInstance | undefined;
  let dir: string;

  test.beforeAll(async () => {
    test.setTimeout(90_000);
    receiver = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), 'margin-watch-e2e-alerts-'));
    const configFile = join(dir, 'alerts.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        alerts: {
          webhooks: [{ url: `http://127.0.0.1:${receiver.port}/hooks/e2e-receiver-path`, format: 'generic' }],
          rules: { accounts: { [VALR]: { cooldownMinutes: 0 } } },
        },
      }),
    );
    // Demo accounts and simulators, plus the config file's `alerts` section.
    proxy = await startProxy({
      port: OWN_PORT,
      seed: 7,
      simulatorPortBase: OWN_SIM_BASE,
      args: ['--demo', '--config', configFile],
    });
  });

  test.afterAll(async () => {
    await proxy?.stop();
    await new Promise((resolve) => receiver?.server.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('exactly one POST per crossing, none inside the hysteresis margin, no credential', async () => {
    test.setTimeout(150_000);
    const valrSim = OWN_SIM_BASE + VALR_INDEX;

    /** The instance's stored zone alerts of the VALR account, oldest first. */
    const stored = async (): Promise<WireAlert[]> => {
      const page = await getJson<{ alerts: WireAlert[] }>(`${OWN_URL}/api/alerts?account=${VALR}&limit=500`);
      return page.alerts.filter((a) => a.rule === 'zone-worse').reverse();
    };
    /** Ids of the VALR zone alerts the receiver got, in arrival order. */
    const posted = () =>
      receiver.received
        .filter((r) => r.body.account === VALR && r.body.rule === 'zone-worse')
        .map((r) => String(r.body.id));
    /** Waits until every stored alert has been delivered (and nothing else). */
    const delivered = () =>
      expect
        .poll(async () => JSON.stringify(posted()) === JSON.stringify((await stored()).map((a) => a.id)), {
          timeout: 20_000,
        })
        .toBe(true);

    // Start from safe, whatever the random walk did before.
    await simControl(valrSim, { kind: 'set-level', level: SAFE });
    await expect
      .poll(
        async () => {
          const list = await stored();
          return list.length === 0 || list[list.length - 1]?.kind === 'recovered';
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    await delivered();
    const before = (await stored()).length;
    const postsBefore = posted().length;

    const newStored = async () => (await stored()).slice(before);

    await simControl(valrSim, { kind: 'set-level', level: CAUTION });
    await expect
      .poll(async () => (await newStored()).map((a) => `${a.kind}:${a.zone}`))
      .toEqual(['fired:caution']);

    // A wobble above the line but inside the margin, and back: no recovered, no second fired.
    await simControl(valrSim, { kind: 'set-level', level: INSIDE_MARGIN });
    await sleep(SETTLE_MS);
    await simControl(valrSim, { kind: 'set-level', level: CAUTION });
    await sleep(SETTLE_MS);
    expect((await newStored()).map((a) => `${a.kind}:${a.zone}`)).toEqual(['fired:caution']);

    await simControl(valrSim, { kind: 'set-level', level: LIQUIDATION });
    await expect
      .poll(async () => (await newStored()).map((a) => `${a.kind}:${a.zone}`))
      .toEqual(['fired:caution', 'fired:liquidation']);

    await simControl(valrSim, { kind: 'set-level', level: SAFE });
    await expect
      .poll(async () => (await newStored()).map((a) => `${a.kind}:${a.zone}`))
      .toEqual(['fired:caution', 'fired:liquidation', 'recovered:safe']);

    // Several more pushes at the same level: still nothing new.
    await sleep(SETTLE_MS);
    const crossings = await newStored();
    expect(crossings).toHaveLength(3);
    await delivered();
    expect(posted().slice(postsBefore)).toEqual(crossings.map((a) => a.id));

    const bodies = receiver.received.filter((r) => r.body.account === VALR && r.body.rule === 'zone-worse');
    const last = bodies.slice(-3).map((r) => r.body);
    expect(last.map((b) => [b.kind, b.exchange, b.zone, b.level])).toEqual([
      ['fired', 'valr', 'caution', CAUTION],
      ['fired', 'valr', 'liquidation', LIQUIDATION],
      ['recovered', 'valr', 'safe', SAFE],
    ]);
    for (const body of last) expect(String(body.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const r of receiver.received) {
      expect(r.path).toBe('/hooks/e2e-receiver-path');
      expect(r.raw).not.toContain(VALR_SECRET);
      expect(r.raw).not.toContain('secret-not-real');
    }

    const status = await fetch(`${OWN_URL}/api/alerts/webhooks`);
    const statusText = await status.text();
    expect(statusText).not.toContain('e2e-receiver-path');
    expect(JSON.parse(statusText)).toMatchObject([
      { target: `http://127.0.0.1:${receiver.port}`, format: 'generic', state: 'ok' },
    ]);
  });
});
