// Fault journeys: the demo's simulators are told to misbehave (`POST /__sim/control`, see SimControl) and the
// dashboard must say so, in words, and come back by itself. Every journey runs against a Margin Watch instance
// of its own (free ports, small seed), so a fault never leaks into the shared demo or into another journey —
// the proxy retries a refused key only after a minute, for one.
//
//   1. drop:       VALR's and BitoPro's streams are cut → "Reconnecting to the exchange: …" → live again;
//   2. silence:    VALR stops sending → stale 3 × its 5 s cadence after its last message (and the proxy's
//                  watchdog says so too) → live again once it speaks;
//   3. revoke:     the keys are revoked → "Authentication failed: <readable reason>"; restored → live again
//                  at the proxy's next retry (60 s ± 20 %: the slowest journey);
//   4. malformed / 5. bad-schema: one broken message → the card shows the rejection notice with the parser's
//                  words, keeps the last good figures, recovers with the next message; the other cards and the
//                  page carry on;
//   6. restart:    the proxy itself goes away → every card "No connection to Margin Watch, retrying" → the same
//                  page (no reload) is live again once the proxy is back on its port.
//
// DOM used (e2e/selectors.ts): the cards' data-freshness and [data-testid="freshness"] words,
// [data-testid="rejection-notice"][data-recovered], [data-testid="level"], [data-testid="card-error"] and
// [data-testid="stream-status"][data-phase].
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { cardFor } from './selectors.ts';
import {
  DEMO_ACCOUNT,
  DEMO_EXCHANGES,
  attachFrozenCard,
  attachScreenshot,
  freshnessChanges,
  getJson,
  recordFreshness,
  startProxy,
  type DemoExchange,
  type ProxyInstance,
} from './support.ts';

/** The demo accounts' fake secrets: none may ever reach the page. */
const DEMO_SECRETS = ['secret-not-real', 'token-not-real'];
/** VALR pushes MARGIN_INFO every 5 s; the dashboard calls figures stale after 3 × that. */
const VALR_CADENCE_MS = 5_000;
const STALE_AFTER_MS = 3 * VALR_CADENCE_MS;
/**
 * The page's clock ticks once a second and the proxy's watchdog looks once a second; a loaded machine adds
 * delays to both, so timing assertions leave this much room.
 */
const TICK_SLACK_MS = 5_000;
/** The proxy's first retry after a refused key: 60 s ± 20 %, plus a few seconds to reconnect. */
const AUTH_RETRY_MAX_MS = 72_000 + 8_000;

const instances: ProxyInstance[] = [];

/** A demo instance of this journey's own, stopped after the test. */
async function ownDemo(seed: number): Promise<ProxyInstance> {
  const instance = await startProxy({ seed });
  instances.push(instance);
  return instance;
}

// Playwright requires the fixtures argument to be a destructuring pattern, even an empty one.
// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}, testInfo) => {
  const stopping = instances.splice(0);
  if (testInfo.status !== testInfo.expectedStatus) {
    for (const instance of stopping) {
      await testInfo.attach(`proxy-${instance.port}.log`, {
        body: instance.output(),
        contentType: 'text/plain',
      });
    }
  }
  await Promise.all(stopping.map((instance) => instance.stop()));
});

/** Uncaught exceptions on the page (a crash the error boundary did not catch). */
function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

/** Opens the overview of `instance` with the freshness recorder on, and waits until every card is live. */
async function openLive(page: Page, instance: ProxyInstance): Promise<void> {
  await recordFreshness(page);
  await page.goto(`${instance.url}/`);
  await expect(page.getByTestId('stream-status')).toHaveAttribute('data-phase', 'open');
  await expect(page.getByTestId('account-card')).toHaveCount(DEMO_EXCHANGES.length);
  for (const exchange of DEMO_EXCHANGES) {
    await expect(cardFor(page, DEMO_ACCOUNT[exchange])).toHaveAttribute('data-freshness', 'live', {
      timeout: 30_000,
    });
  }
}

/** The proxy's word on an account's upstream session (GET /api/accounts). */
async function upstreamStatus(
  instance: ProxyInstance,
  account: string,
): Promise<{ state: string; detail?: string; at: number } | undefined> {
  const accounts = await getJson<{ id: string; status?: { state: string; detail?: string; at: number } }[]>(
    `${instance.url}/api/accounts`,
  );
  return accounts.find((a) => a.id === account)?.status;
}

/** The kinds an account's card went through after `since` (browser clock), in order. */
async function kindsSince(page: Page, account: string, since: number): Promise<string[]> {
  return (await freshnessChanges(page, account)).filter((c) => c.at >= since).map((c) => c.kind);
}

/** The other demo accounts stayed live from `since` on. */
async function expectOthersLive(page: Page, faulty: readonly DemoExchange[], since: number): Promise<void> {
  for (const exchange of DEMO_EXCHANGES.filter((e) => !faulty.includes(e))) {
    const account = DEMO_ACCOUNT[exchange];
    expect(await kindsSince(page, account, since), `${account} was disturbed`).toEqual([]);
    await expect(cardFor(page, account)).toHaveAttribute('data-freshness', 'live');
    await expect(cardFor(page, account).getByTestId('rejection-notice')).toHaveCount(0);
  }
}

/** Nothing on the page crashed. */
async function expectNoCrash(page: Page, errors: readonly string[]): Promise<void> {
  await expect(page.getByTestId('card-error')).toHaveCount(0);
  expect(errors, 'uncaught exceptions on the page').toEqual([]);
}

test('a dropped upstream shows "reconnecting", then live again', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const demo = await ownDemo(11);
  const errors = pageErrors(page);
  await openLive(page, demo);
  const start = await page.evaluate(() => Date.now());

  const reasons: Record<'valr' | 'bitopro', RegExp> = {
    valr: /^Reconnecting to the exchange: VALR closed the connection \(\d+[^)]*\); retrying in \d+ m?s/,
    bitopro: /^Reconnecting to the exchange: stream closed by BitoPro \(code \d+[^)]*\); retrying in \d+ m?s/,
  };
  for (const exchange of ['valr', 'bitopro'] as const) {
    const account = DEMO_ACCOUNT[exchange];
    // The proxy's first retry waits a random 0–1 s, so a reconnect can finish within one frame and is then,
    // rightly, never painted. Each further drop before the session has been stable for 30 s doubles the
    // window, so a few drops are enough for the state to show.
    let seen = false;
    for (let drop = 1; drop <= 4 && !seen; drop += 1) {
      const droppedAt = Date.now();
      await demo.control(exchange, { kind: 'drop' });
      await expect
        .poll(
          async () => {
            const status = await upstreamStatus(demo, account);
            return status !== undefined && status.state === 'live' && status.at >= droppedAt;
          },
          { message: `the proxy did not bring ${account} back after drop ${drop}`, timeout: 20_000 },
        )
        .toBe(true);
      await expect(cardFor(page, account)).toHaveAttribute('data-freshness', 'live');
      // The recorder notes every change as it is painted; wait until it has noted the card live again (or
      // saw nothing at all, when the reconnect finished within one frame).
      await expect
        .poll(async () => {
          const kinds = await kindsSince(page, account, droppedAt);
          return kinds.length === 0 || kinds.at(-1) === 'live';
        })
        .toBe(true);
      const kinds = await kindsSince(page, account, droppedAt);
      seen = kinds.includes('reconnecting');
      if (seen) testInfo.annotations.push({ type: `${exchange} drops`, description: String(drop) });
      expect([[], ['reconnecting', 'live']], `${account}: what the card went through`).toContainEqual(kinds);
    }
    expect(seen, `${account} never showed "reconnecting"`).toBe(true);
    const shown = (await freshnessChanges(page, account)).filter((c) => c.kind === 'reconnecting').at(-1);
    expect(shown?.text).toMatch(reasons[exchange]);
    await attachFrozenCard(page, testInfo, `${exchange}-reconnecting`, account, 'reconnecting');
    await expect(cardFor(page, account).getByTestId('freshness')).toHaveText(/^Live · updated \d+ s ago$/);
  }
  await expectOthersLive(page, ['valr', 'bitopro'], start);
  await expectNoCrash(page, errors);
  await attachScreenshot(testInfo, 'live-again', page);
});

test('a silent upstream turns stale within 3× its cadence, and recovers when it speaks', async ({
  page,
}, testInfo) => {
  test.setTimeout(90_000);
  const demo = await ownDemo(12);
  const errors = pageErrors(page);
  await openLive(page, demo);
  const account = DEMO_ACCOUNT.valr;
  const card = cardFor(page, account);
  const freshness = card.getByTestId('freshness');

  // Silence right after a message, so the stale deadline is known to the second.
  await expect(freshness).toHaveText(/^Live · updated 0 s ago$/, { timeout: 10_000 });
  const silencedAt = await page.evaluate(() => Date.now());
  await demo.control('valr', { kind: 'silence', on: true });

  await expect(card).toHaveAttribute('data-freshness', /^(stale|proxy-stale)$/, {
    timeout: STALE_AFTER_MS + TICK_SLACK_MS,
  });
  const staleAt = (await freshnessChanges(page, account)).find(
    (c) => c.at >= silencedAt && (c.kind === 'stale' || c.kind === 'proxy-stale'),
  )?.at;
  expect(staleAt, 'the moment the card turned stale').toBeDefined();
  const after = (staleAt ?? 0) - silencedAt;
  testInfo.annotations.push({ type: 'stale after silence', description: `${after} ms` });
  // Not before 3 × cadence since the last message ("0 s ago" when silenced: up to 2 s before, with the page's
  // one-second clock), and not much after.
  expect(after).toBeGreaterThanOrEqual(STALE_AFTER_MS - 3_000);
  expect(after).toBeLessThanOrEqual(STALE_AFTER_MS + TICK_SLACK_MS);
  expect(await kindsSince(page, account, silencedAt)).not.toContain('reconnecting');

  // The proxy's watchdog reports the quiet upstream too, and its word wins on the card.
  await expect
    .poll(async () => upstreamStatus(demo, account))
    .toMatchObject({ state: 'stale', detail: `no data for over ${STALE_AFTER_MS / 1000} s` });
  await expect(card).toHaveAttribute('data-freshness', 'proxy-stale');
  await expect(freshness).toHaveText(
    /^Stale: the exchange has gone quiet: no data for over 15 s · updated (1[3-9]|[2-9]\d) s ago$/,
  );
  await expect(card.getByTestId('figures')).toHaveAttribute('data-live', 'false');
  await expect(card.getByTestId('level')).toHaveText(/\d/);
  await attachScreenshot(testInfo, 'valr-stale', page);

  const resumedAt = await page.evaluate(() => Date.now());
  await demo.control('valr', { kind: 'silence', on: false });
  await expect(card).toHaveAttribute('data-freshness', 'live', { timeout: VALR_CADENCE_MS + TICK_SLACK_MS });
  await expect(freshness).toHaveText(/^Live · updated \d s ago$/);
  await expect(card.getByTestId('figures')).toHaveAttribute('data-live', 'true');
  // The proxy's "live" may be painted a frame before the message it came with: "stale" for that frame is fine.
  const resumed = await kindsSince(page, account, resumedAt);
  expect(resumed.at(-1)).toBe('live');
  expect(resumed.filter((k) => k !== 'stale' && k !== 'live')).toEqual([]);
  await expectOthersLive(page, ['valr'], silencedAt);
  await expectNoCrash(page, errors);
  await attachScreenshot(testInfo, 'valr-live-again', page);
});

test('a revoked key shows "Authentication failed" with a readable reason, and recovers once restored', async ({
  page,
}, testInfo) => {
  test.setTimeout(AUTH_RETRY_MAX_MS + 45_000);
  const demo = await ownDemo(13);
  const errors = pageErrors(page);
  await openLive(page, demo);
  const start = await page.evaluate(() => Date.now());

  await demo.control('valr', { kind: 'revoke' });
  await demo.control('bitopro', { kind: 'revoke' });
  const expected: Record<'valr' | 'bitopro', RegExp> = {
    valr: /^Authentication failed: VALR refused the credentials \(HTTP 401 "API Key or Secret is invalid \(code -?\d+\)"\): check apiKey and apiSecret/,
    bitopro:
      /^Authentication failed: BitoPro refused the credentials \(HTTP 401 "Unauthorized api key"\): check apiKey, apiSecret and identity/,
  };
  for (const exchange of ['valr', 'bitopro'] as const) {
    const card = cardFor(page, DEMO_ACCOUNT[exchange]);
    await expect(card).toHaveAttribute('data-freshness', 'auth_failed');
    const text = (await card.getByTestId('freshness').textContent()) ?? '';
    expect(text).toMatch(expected[exchange]);
    // Readable: words, not a dumped object, and no credential.
    for (const junk of ['{', '[object', 'undefined', 'NaN', ...DEMO_SECRETS])
      expect(text).not.toContain(junk);
    await expect(card.getByTestId('figures')).toHaveAttribute('data-live', 'false');
  }
  const html = await page.content();
  for (const secret of DEMO_SECRETS) expect(html).not.toContain(secret);
  await expectOthersLive(page, ['valr', 'bitopro'], start);
  await expectNoCrash(page, errors);
  await attachScreenshot(testInfo, 'auth-failed', page);

  // Restored keys: the proxy retries a refused key after 60 s (± 20 %), and must then be live again.
  const restoredAt = await page.evaluate(() => Date.now());
  await demo.control('valr', { kind: 'restore' });
  await demo.control('bitopro', { kind: 'restore' });
  for (const exchange of ['valr', 'bitopro'] as const) {
    const card = cardFor(page, DEMO_ACCOUNT[exchange]);
    await expect(card).toHaveAttribute('data-freshness', 'live', { timeout: AUTH_RETRY_MAX_MS });
    await expect(card.getByTestId('freshness')).toHaveText(/^Live · updated \d+ s ago$/);
    const kinds = await kindsSince(page, DEMO_ACCOUNT[exchange], restoredAt);
    expect(kinds.at(-1)).toBe('live');
    expect(kinds.filter((k) => k !== 'stale' && k !== 'live')).toEqual([]);
  }
  await expectNoCrash(page, errors);
  await attachScreenshot(testInfo, 'auth-restored', page);
});

/** Injects one broken message into VALR's and BitoPro's streams; the page must shrug it off. */
async function rejectionJourney(
  page: Page,
  testInfo: TestInfo,
  seed: number,
  fault: 'malformed' | 'bad-schema',
): Promise<void> {
  const demo = await ownDemo(seed);
  const errors = pageErrors(page);
  await openLive(page, demo);
  const start = await page.evaluate(() => Date.now());

  // VALR: inject right after a message, so the rejected one stays the newest for a few seconds.
  const valr = cardFor(page, DEMO_ACCOUNT.valr);
  await expect(valr.getByTestId('freshness')).toHaveText(/^Live · updated 0 s ago$/, { timeout: 10_000 });
  const valrLevel = await valr.getByTestId('level').textContent();
  await demo.control('valr', { kind: fault });
  const valrNotice = valr.getByTestId('rejection-notice');
  await expect(valr).toHaveAttribute('data-freshness', 'rejected');
  await expect(valrNotice).toHaveAttribute('data-recovered', 'false');
  await expect(valrNotice).toHaveAttribute('role', 'status');
  await expect(valrNotice).toContainText(/^Message rejected \(\d+ s ago\)/);
  await expect(valrNotice.locator('code')).toHaveText(/^valr account: \S.*: \S/);
  await expect(valrNotice).toContainText(/Showing the last good figures, from \d+ s ago\./);
  await expect(valr.getByTestId('level')).toHaveText(valrLevel ?? '');
  await attachScreenshot(testInfo, `valr-${fault}-rejected`, valr);

  // BitoPro pushes every 2 s: its notice may already say it recovered.
  const bitopro = cardFor(page, DEMO_ACCOUNT.bitopro);
  await demo.control('bitopro', { kind: fault });
  await expect(bitopro.getByTestId('rejection-notice').locator('code')).toHaveText(
    /^bitopro account-info: \S.*: \S/,
  );

  // The next good message: the notice says so, the figures are live and moving again.
  for (const card of [valr, bitopro]) {
    const notice = card.getByTestId('rejection-notice');
    await expect(notice).toHaveAttribute('data-recovered', 'true', { timeout: 10_000 });
    await expect(notice).toContainText(/^A message was rejected \(\d+ s ago\)/);
    await expect(card).toHaveAttribute('data-freshness', 'live');
    await expect(card.getByTestId('figures')).toHaveAttribute('data-live', 'true');
  }
  await expect(valr.getByTestId('level')).not.toHaveText(valrLevel ?? '', { timeout: 15_000 });
  const valrKinds = await kindsSince(page, DEMO_ACCOUNT.valr, start);
  expect(valrKinds.at(-1)).toBe('live');
  expect(valrKinds.filter((k) => k !== 'rejected' && k !== 'live')).toEqual([]);
  await expectOthersLive(page, ['valr', 'bitopro'], start);
  await expectNoCrash(page, errors);
  await attachScreenshot(testInfo, `${fault}-recovered`, page);
}

test('a malformed frame is rejected on its card and the page keeps working', async ({ page }, testInfo) => {
  await rejectionJourney(page, testInfo, 14, 'malformed');
});

test('a bad-schema message is rejected on its card and the page keeps working', async ({
  page,
}, testInfo) => {
  await rejectionJourney(page, testInfo, 15, 'bad-schema');
});

test('a browser socket cut by the proxy restarting reconnects by itself', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const seed = 16;
  const first = await ownDemo(seed);
  const errors = pageErrors(page);
  await openLive(page, first);
  // A mark that a reload would wipe: the page must come back without one.
  await page.evaluate(() => ((window as { e2eSamePage?: boolean }).e2eSamePage = true));

  await first.stop();
  for (const exchange of DEMO_EXCHANGES) {
    const card = cardFor(page, DEMO_ACCOUNT[exchange]);
    await expect(card).toHaveAttribute('data-freshness', 'offline');
    await expect(card.getByTestId('freshness')).toHaveText(
      /^No connection to Margin Watch, retrying(: .+)?$/,
    );
    await expect(card.getByTestId('figures')).toHaveAttribute('data-live', 'false');
  }
  await expect(page.getByTestId('stream-status')).toHaveAttribute('data-phase', /^(waiting|connecting)$/);
  await attachScreenshot(testInfo, 'proxy-gone', page);

  const second = await startProxy({ port: first.port, seed });
  instances.push(second);
  // The browser's retries back off (0.5 s doubling, at most 30 s); a few seconds of outage means ≤ 16 s.
  await expect(page.getByTestId('stream-status')).toHaveAttribute('data-phase', 'open', { timeout: 40_000 });
  for (const exchange of DEMO_EXCHANGES) {
    await expect(cardFor(page, DEMO_ACCOUNT[exchange])).toHaveAttribute('data-freshness', 'live', {
      timeout: 20_000,
    });
  }
  expect(await page.evaluate(() => (window as { e2eSamePage?: boolean }).e2eSamePage)).toBe(true);
  await expectNoCrash(page, errors);
  await attachScreenshot(testInfo, 'live-after-restart', page);
});
