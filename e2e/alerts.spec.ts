// Alert journeys against demo instances of their own (free ports, so nothing is shared with the other journeys
// and nothing needs restoring). The VALR simulator is pinned through its bands (margin fraction: caution below
// 0.1, liquidation below 0.05) with `POST /__sim/control {kind:'set-level'}`:
//   1. the banner shows the crossing (and a screen reader hears only the alert's words), the alert list records
//      it, the all-clear arrives once, and the banner is dismissable from the keyboard;
//   2. with an `alerts` config whose webhook points at a loopback receiver: the receiver gets exactly one POST
//      per crossing, none for wobbles inside the hysteresis margin, and no credential in any body.
//
// DOM used: [data-testid="alert-banner"] > [data-testid="alert-banner-item"][data-account][data-rule][data-kind];
// [data-testid="alert-announcement"] (role=alert, the newest alert's words); [data-testid="alert-list"] >
// [data-testid="alert-row"][data-account][data-rule][data-kind]; the rules form on /alerts ("Settings for",
// "Repeat the same alert at most every", "Save rules") and its [data-testid="rules-status"].
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import { cardFor } from './selectors.ts';
import { expect, test } from './store.ts';
import { API_HEADERS, getJson, startProxy, type ProxyInstance } from './support.ts';

const VALR = 'valr-demo';
/** The demo VALR account's fake secret: it must never appear in an alert. */
const VALR_SECRET = 'demo-valr-secret-not-real';

const SAFE = '0.2';
const CAUTION = '0.08';
/** Above the 0.1 caution line but within its 2 % margin (0.102): an alert must not clear here. */
const INSIDE_MARGIN = '0.101';
const LIQUIDATION = '0.04';
/** VALR pushes every 5 s; waiting for this many pushes at a pinned level takes one full interval at least. */
const SETTLE_PUSHES = 2;

interface StreamWindow {
  __valrPayloads?: string[];
}

/**
 * Opens `url` in `page` and records, from its own stream connection, the level of every VALR snapshot frame
 * that a margin push brought. Returns a counter: how many arrived since `mark` (a count it returned earlier)
 * that carry `level` exactly as the simulator was pinned to it.
 */
async function watchValrPushes(
  page: Page,
  url: string,
): Promise<{ mark(): Promise<number>; since(mark: number, level: string): Promise<number> }> {
  await page.goto(`${url}/`);
  await page.evaluate((account) => {
    const w = window as StreamWindow;
    w.__valrPayloads = [];
    const socket = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/api/stream`);
    socket.onmessage = (event) => {
      const frame = JSON.parse(String(event.data)) as {
        type?: string;
        accountId?: string;
        receivedAt?: number;
        levelAt?: number | null;
        snapshot?: { level?: { text?: string } | null } | null;
      };
      // A snapshot frame whose level came with its own message: one margin push read by the proxy.
      if (frame.type === 'snapshot' && frame.accountId === account && frame.levelAt === frame.receivedAt) {
        w.__valrPayloads?.push(JSON.stringify(frame.snapshot?.level?.text));
      }
    };
  }, VALR);
  return {
    mark: () => page.evaluate(() => (window as StreamWindow).__valrPayloads?.length ?? 0),
    since: (mark, level) =>
      page.evaluate(
        ({ from, needle }) =>
          ((window as StreamWindow).__valrPayloads ?? []).slice(from).filter((p) => p.includes(needle))
            .length,
        { from: mark, needle: JSON.stringify(level) },
      ),
  };
}

interface WireAlert {
  id: string;
  accountId: string;
  rule: string;
  kind: string;
  zone: string;
  level: string | null;
  at: number;
}

test.describe('alerts on the dashboard', () => {
  let demo: ProxyInstance | undefined;

  test.afterEach(async () => {
    await demo?.stop();
    demo = undefined;
  });

  test('a zone crossing shows in the banner and the list, clears once, and stays listed after a restart', async ({
    page,
    store,
  }) => {
    test.setTimeout(180_000);
    const settings = { history: await store.fresh() };
    demo = await startProxy({ seed: 21, settings });
    let own = demo;
    // No cooldown for this account, so an earlier crossing by the random walk cannot hold ours back.
    await page.goto(`${own.url}/alerts`);
    await page.getByLabel('Settings for').selectOption({ label: 'VALR margin (demo)' });
    await page.getByLabel('Repeat the same alert at most every').fill('0');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expect(page.getByTestId('rules-status')).toHaveText('Saved.');
    await expect(page.getByTestId('rules-status')).toBeFocused();

    await own.control('valr', { kind: 'set-level', level: SAFE });
    await page.goto(`${own.url}/`);
    await expect(cardFor(page, VALR)).toHaveAttribute('data-zone', 'safe');

    const banner = page.getByTestId('alert-banner');
    const valrZone = banner.locator(
      `[data-testid="alert-banner-item"][data-account="${VALR}"][data-rule="zone-worse"]`,
    );
    await own.control('valr', { kind: 'set-level', level: CAUTION });
    await expect(cardFor(page, VALR)).toHaveAttribute('data-zone', 'caution');
    await expect(valrZone).toHaveAttribute('data-kind', 'fired');
    await expect(valrZone).toContainText(`entered Caution — level ${CAUTION}`);
    // Screen readers hear the alert's words from one small live region, not the banner with its buttons.
    const announcement = page.getByRole('alert').and(page.getByTestId('alert-announcement'));
    await expect(announcement).toHaveText(/^[A-Z][a-z ]+: \S/);
    await expect(announcement).not.toContainText('Dismiss');
    await expect(banner).not.toHaveAttribute('role', 'alert');

    // Keyboard: focus the alert's Dismiss button, Escape dismisses what the banner shows.
    await valrZone.getByRole('button', { name: /^Dismiss: / }).focus();
    await page.keyboard.press('Escape');
    await expect(valrZone).toHaveCount(0);

    await page.goto(`${own.url}/alerts`);
    const rows = page
      .getByTestId('alert-list')
      .locator(`[data-testid="alert-row"][data-account="${VALR}"][data-rule="zone-worse"]`);
    await expect(rows.first()).toHaveAttribute('data-kind', 'fired');
    await expect(rows.first()).toContainText('Caution');

    await own.control('valr', { kind: 'set-level', level: SAFE });
    await expect(rows.first()).toHaveAttribute('data-kind', 'recovered');
    await expect(valrZone).toHaveAttribute('data-kind', 'recovered');
    const rowTexts = () =>
      rows.evaluateAll((found) => found.map((row) => `${row.getAttribute('data-kind')}: ${row.textContent}`));
    const listed = await rowTexts();
    expect(listed.length).toBeGreaterThanOrEqual(2);

    // A restart on the same store: the alerts and the account's own rule settings are still there (the new
    // simulator's walk may add alerts of its own, newest first, ahead of these).
    await own.stop();
    demo = await startProxy({ seed: 21, settings });
    own = demo;
    await page.goto(`${own.url}/alerts`);
    await expect.poll(async () => (await rowTexts()).slice(-listed.length)).toEqual(listed);
    await expect(page.getByLabel('Settings for').locator('option', { hasText: '(own settings)' })).toHaveText(
      'VALR margin (demo) (own settings)',
    );

    // Back to the defaults for this account: the button goes, the keyboard lands on the status.
    await page.getByLabel('Settings for').selectOption({ label: 'VALR margin (demo) (own settings)' });
    await page.getByRole('button', { name: 'Use the defaults for this account' }).click();
    await expect(page.getByTestId('rules-status')).toHaveText(
      /^Saved: VALR margin \(demo\) now uses the defaults\.$/,
    );
    await expect(page.getByTestId('rules-status')).toBeFocused();
  });
});

// ---------------------------------------------------------------------------------------------------------------

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
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  let proxy: ProxyInstance | undefined;

  test.beforeAll(async ({ store }) => {
    test.setTimeout(90_000);
    const history = await store.fresh();
    receiver = await startReceiver();
    // Demo accounts and simulators on free ports, with this `alerts` section and the project's store.
    proxy = await startProxy({
      seed: 7,
      settings: {
        history,
        alerts: {
          webhooks: [{ url: `http://127.0.0.1:${receiver.port}/hooks/e2e-receiver-path`, format: 'generic' }],
          rules: { accounts: { [VALR]: { cooldownMinutes: 0 } } },
        },
      },
    });
  });

  test.afterAll(async () => {
    await proxy?.stop();
    const server = receiver?.server;
    if (server) await new Promise((resolve) => server.close(resolve));
  });

  test('exactly one POST per crossing, none inside the hysteresis margin, no credential', async ({
    page,
  }) => {
    test.setTimeout(150_000);
    if (!proxy || !receiver) throw new Error('the instance did not start');
    const own = proxy;
    const hooks = receiver;
    const OWN_URL = own.url;
    const setLevel = (level: string) => own.control('valr', { kind: 'set-level', level });
    const pushes = await watchValrPushes(page, OWN_URL);
    /** Waits until VALR has pushed `level` SETTLE_PUSHES times since `mark` (so the proxy judged it twice). */
    const settled = (mark: number, level: string) =>
      expect
        .poll(() => pushes.since(mark, level), { timeout: 30_000, message: `VALR pushes at ${level}` })
        .toBeGreaterThanOrEqual(SETTLE_PUSHES);

    /** The instance's stored zone alerts of the VALR account, oldest first. */
    const stored = async (): Promise<WireAlert[]> => {
      const answer = await getJson<{ alerts: WireAlert[] }>(
        `${OWN_URL}/api/alerts?account=${VALR}&limit=500`,
      );
      return answer.alerts.filter((a) => a.rule === 'zone-worse').reverse();
    };
    /** Ids of the VALR zone alerts the receiver got, in arrival order. */
    const posted = () =>
      hooks.received
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
    await setLevel(SAFE);
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

    await setLevel(CAUTION);
    await expect
      .poll(async () => (await newStored()).map((a) => `${a.kind}:${a.zone}`))
      .toEqual(['fired:caution']);

    // A wobble above the line but inside the margin, and back: no recovered, no second fired.
    let mark = await pushes.mark();
    await setLevel(INSIDE_MARGIN);
    await settled(mark, INSIDE_MARGIN);
    mark = await pushes.mark();
    await setLevel(CAUTION);
    await settled(mark, CAUTION);
    expect((await newStored()).map((a) => `${a.kind}:${a.zone}`)).toEqual(['fired:caution']);

    await setLevel(LIQUIDATION);
    await expect
      .poll(async () => (await newStored()).map((a) => `${a.kind}:${a.zone}`))
      .toEqual(['fired:caution', 'fired:liquidation']);

    mark = await pushes.mark();
    await setLevel(SAFE);
    await expect
      .poll(async () => (await newStored()).map((a) => `${a.kind}:${a.zone}`))
      .toEqual(['fired:caution', 'fired:liquidation', 'recovered:safe']);

    // More pushes at the same level: still nothing new.
    await settled(mark, SAFE);
    const crossings = await newStored();
    expect(crossings).toHaveLength(3);
    await delivered();
    expect(posted().slice(postsBefore)).toEqual(crossings.map((a) => a.id));

    const bodies = hooks.received.filter((r) => r.body.account === VALR && r.body.rule === 'zone-worse');
    const last = bodies.slice(-3).map((r) => r.body);
    expect(last.map((b) => [b.kind, b.exchange, b.zone, b.level])).toEqual([
      ['fired', 'valr', 'caution', CAUTION],
      ['fired', 'valr', 'liquidation', LIQUIDATION],
      ['recovered', 'valr', 'safe', SAFE],
    ]);
    for (const body of last) expect(String(body.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const r of hooks.received) {
      expect(r.path).toBe('/hooks/e2e-receiver-path');
      expect(r.raw).not.toContain(VALR_SECRET);
      expect(r.raw).not.toContain('secret-not-real');
    }

    const status = await fetch(`${OWN_URL}/api/alerts/webhooks`, { headers: API_HEADERS });
    const statusText = await status.text();
    expect(statusText).not.toContain('e2e-receiver-path');
    expect(JSON.parse(statusText)).toMatchObject([
      { target: `http://127.0.0.1:${hooks.port}`, format: 'generic', state: 'ok' },
    ]);
  });
});
