// Journeys through the dashboard against the demo (built-in simulators). Fault injection lives elsewhere;
// see selectors.ts for what those journeys can rely on.
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type APIRequestContext, type Page, type TestInfo } from '@playwright/test';
import { cardFor, type ListedAccount } from './selectors.ts';
import { attachScreenshot } from './support.ts';

const EXCHANGES = ['bitopro', 'bitso', 'b2prime', 'valr'] as const;

async function listAccounts(request: APIRequestContext): Promise<ListedAccount[]> {
  const response = await request.get('/api/accounts', { headers: { 'x-margin-watch': '1' } });
  expect(response.ok()).toBe(true);
  return (await response.json()) as ListedAccount[];
}

/** Runs axe on the page; serious and critical violations fail the test, the full report is attached. */
async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  await testInfo.attach(`axe-${name}.json`, {
    body: JSON.stringify(results.violations, null, 2),
    contentType: 'application/json',
  });
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious).toEqual([]);
}

async function levels(page: Page, accounts: readonly ListedAccount[]): Promise<Record<string, string>> {
  const entries = await Promise.all(
    accounts.map(
      async (a) => [a.id, (await cardFor(page, a.id).getByTestId('level').textContent()) ?? ''] as const,
    ),
  );
  return Object.fromEntries(entries);
}

test('overview: one live card per demo account, with levels that change', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(150_000);
  const accounts = await listAccounts(request);
  expect(accounts.map((a) => a.exchange).sort()).toEqual([...EXCHANGES].sort());

  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Margin Watch');
  await expect(page.getByTestId('stream-status')).toHaveAttribute('data-phase', 'open');
  await expect(page.getByTestId('account-card')).toHaveCount(accounts.length);
  for (const account of accounts) {
    const card = cardFor(page, account.id);
    await expect(card.getByRole('heading', { level: 3 })).toHaveText(account.label);
    await expect(card).toHaveAttribute('data-freshness', 'live');
    await expect(card.getByTestId('level')).toHaveText(/\d/);
    await expect(card.getByTestId('zone')).toHaveText(/^(Safe|Caution|Liquidation|Takeover|Unknown)$/);
    await expect(card.getByTestId('cushion')).toHaveText(/Cushion to liquidation/);
    await expect(card.getByTestId('freshness')).toHaveText(/Live · updated \d+ s ago/);
  }
  // Every account is counted once: in its zone when its figures are current, else under "No current figures".
  const counts = await Promise.all(
    ['safe', 'caution', 'liquidation', 'takeover', 'unknown', 'no-current'].map(async (zone) => {
      const text = (await page.getByTestId(`zone-count-${zone}`).textContent()) ?? '';
      return Number(/(\d+)\s*$/.exec(text)?.[1] ?? 'NaN');
    }),
  );
  expect(counts.reduce((a, b) => a + b, 0)).toBe(accounts.length);
  await attachScreenshot(testInfo, 'overview-first', page);

  const first = await levels(page, accounts);
  await expect
    .poll(
      async () => {
        const now = await levels(page, accounts);
        return accounts
          .filter((a) => now[a.id] !== first[a.id])
          .map((a) => a.id)
          .sort();
      },
      { timeout: 120_000, intervals: [1_000] },
    )
    .toEqual(accounts.map((a) => a.id).sort());
  await attachScreenshot(testInfo, 'overview-later', page);
});

test('overview: accessible in both themes, theme remembered', async ({ page }, testInfo) => {
  await page.goto('/');
  await expect(page.getByTestId('account-card').first()).toHaveAttribute('data-freshness', 'live');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expectAccessible(page, testInfo, 'overview-dark');
  await page.getByTestId('theme-toggle').click();
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await expect(page.getByTestId('account-card').first()).toHaveAttribute('data-freshness', 'live');
  await expectAccessible(page, testInfo, 'overview-light');
  await attachScreenshot(testInfo, 'overview-light', page);
});

test('overview: from the skip link, Tab reaches a card, Enter opens it and focus lands on the page', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.getByTestId('account-card').first()).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  // Tab on until the focus is on an account card's link (header, banner and toolbar come first).
  let onCard = false;
  for (let presses = 0; presses < 60 && !onCard; presses += 1) {
    await page.keyboard.press('Tab');
    onCard = await page.evaluate(
      () => document.activeElement?.closest('[data-testid="account-card"] .card__title') !== null,
    );
  }
  expect(onCard, 'Tab never reached an account card').toBe(true);
  const label = await page.evaluate(() => document.activeElement?.textContent ?? '');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/accounts\/[a-z0-9-]+$/);
  await expect(page.getByRole('heading', { level: 2, name: label })).toBeVisible();
  await expect(page.locator('#main')).toBeFocused();
});

test('overview: keyboard reaches a card and opens it', async ({ page, request }) => {
  const [account] = await listAccounts(request);
  if (!account) throw new Error('no demo account');
  await page.goto('/');
  const link = cardFor(page, account.id).getByRole('link', { name: account.label });
  await link.focus();
  await expect(link).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/accounts/${account.id}$`));
  await expect(page.getByRole('heading', { level: 2, name: account.label })).toBeVisible();
});

for (const exchange of EXCHANGES) {
  test(`drill-down: ${exchange} shows balances per currency and its own figures`, async ({
    page,
    request,
  }, testInfo) => {
    const account = (await listAccounts(request)).find((a) => a.exchange === exchange);
    if (!account) throw new Error(`the demo has no ${exchange} account`);
    await page.goto('/');
    await cardFor(page, account.id).getByRole('link', { name: account.label }).click();
    await expect(page).toHaveURL(new RegExp(`/accounts/${account.id}$`));

    const drill = page.getByTestId('drill-down');
    await expect(drill.getByRole('heading', { level: 2 })).toHaveText(account.label);
    await expect(drill.getByTestId('headline').getByTestId('level')).toHaveText(/\d/);
    await expect(drill.getByTestId('threshold-table').locator('tbody tr').first()).toContainText(
      /Exchange|Config/,
    );
    await expect(drill.getByTestId('details').locator('dt').first()).toBeVisible();

    const table = drill.getByTestId('currency-table');
    await expect(table).toBeVisible();
    await table.getByLabel('Hide zero rows').uncheck();
    await expect(table.locator('tbody tr th[scope="row"]').first()).toHaveText(/\S/);
    await table.getByRole('button', { name: /^Currency/ }).click();
    await expect(table.locator('thead th').first()).toHaveAttribute('aria-sort', 'descending');

    const raw = drill.getByTestId('raw-messages');
    await raw.locator('summary').first().click();
    await expect(raw.locator('pre').first()).toBeVisible();
    const history = drill.getByTestId('history');
    await expect(history.locator('.recharts-surface').first()).toBeVisible();
    await expect(history.locator('.history-band').first()).toBeAttached();

    await expectAccessible(page, testInfo, `drill-${exchange}`);
    await attachScreenshot(testInfo, `drill-${exchange}`, page);

    await page.goBack();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('account-list')).toBeVisible();

    // Deep link straight to the account.
    await page.goto(`/accounts/${account.id}`);
    await expect(page.getByRole('heading', { level: 2, name: account.label })).toBeVisible();
  });
}
