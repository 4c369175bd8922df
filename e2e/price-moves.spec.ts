// Price moves against the demo: the cards of the Bitso and BitoPro demo accounts say the nearest danger in words,
// the what-if slider shows an estimate on every card and Escape returns to live, and a drill-down tables the moves
// per currency. B2Prime and VALR say on the card why they have no estimate.
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { cardFor } from './selectors.ts';
import { DEMO_ACCOUNT, attachScreenshot } from './support.ts';

/** No serious or critical axe violation on the page as it stands. */
async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious).toEqual([]);
}

const DANGER =
  /^\S+\s[−+]<?[\d.,]+\s%\s→\s(margin call|liquidation|takeover)$|^\S+ at (margin call|liquidation|takeover)$|^Already below /;

test('price moves: nearest danger on the cards, the what-if control, the drill-down table', async ({
  page,
}, testInfo) => {
  test.setTimeout(90_000);
  await page.goto('/');
  await expect(page.getByTestId('stream-status')).toHaveAttribute('data-phase', 'open');

  for (const id of [DEMO_ACCOUNT.bitso, DEMO_ACCOUNT.bitopro]) {
    const danger = cardFor(page, id).getByTestId('danger');
    await expect(danger).toHaveAttribute('data-kind', /^(move|below)$/);
    await expect(danger.locator('.danger__text')).toHaveText(DANGER);
  }
  // B2Prime and VALR say on the card why there is none (one line), with a link to the drill-down.
  for (const [id, name] of [
    [DEMO_ACCOUNT.b2prime, 'B2Prime'],
    [DEMO_ACCOUNT.valr, 'VALR'],
  ] as const) {
    const none = cardFor(page, id).getByTestId('danger');
    await expect(none).toHaveAttribute('data-kind', 'unavailable');
    await expect(none.locator('.danger__text')).toHaveText(`No price estimate for ${name}`);
    await expect(none.getByTestId('danger-reason')).toBeVisible();
    await expect(none.getByTestId('danger-reason')).toContainText(name);
    await expect(none.getByRole('link', { name: /^Details of / })).toHaveAttribute('href', `/accounts/${id}`);
  }

  // The what-if slider: every card shows an estimate, marked as one; Escape returns to live.
  const slider = page.getByRole('slider', { name: 'Market move' });
  await slider.focus();
  for (let i = 0; i < 10; i += 1) await page.keyboard.press('ArrowLeft');
  await expect(slider).toHaveValue('-10');
  await expect(page.getByTestId('what-if-banner')).toContainText('Estimate: market −10 %');
  await expect(page.getByRole('textbox', { name: 'Move in %' })).toHaveValue('-10');
  for (const id of [DEMO_ACCOUNT.bitso, DEMO_ACCOUNT.bitopro]) {
    const estimate = cardFor(page, id).getByTestId('what-if');
    await expect(estimate).toHaveAttribute('data-kind', 'estimate');
    await expect(estimate.getByTestId('what-if-level')).toHaveText(/\d/);
    await expect(estimate.getByTestId('what-if-zone')).toHaveText(
      /^(Safe|Caution|Liquidation|Takeover|Unknown)$/,
    );
    await expect(estimate.getByTestId('what-if-cushion')).toHaveText(
      /^(\d[\d.,]*%|unknown|below liquidation)$/,
    );
  }
  await expect(cardFor(page, DEMO_ACCOUNT.b2prime).getByTestId('what-if')).toHaveAttribute(
    'data-kind',
    'unavailable',
  );
  await expectAccessible(page);
  await attachScreenshot(testInfo, 'what-if', page);

  // A typed move is echoed exactly as typed.
  await page.getByRole('textbox', { name: 'Move in %' }).fill('-12.5');
  await expect(page.getByTestId('what-if-banner')).toContainText('Estimate: market −12.5 %');
  await expect(slider).toHaveAttribute('aria-valuetext', 'market −12.5\u00a0%');
  await expect(
    cardFor(page, DEMO_ACCOUNT.bitso).getByRole('group', {
      name: /^Estimate if the market moves −12\.5\s%$/,
    }),
  ).toContainText('Estimate · market −12.5 %');

  // A text that is not a move: no card keeps the last estimate, and the problem is said at once.
  await page.getByRole('textbox', { name: 'Move in %' }).fill('abc');
  await expect(page.getByTestId('what-if-problem')).toHaveText('“abc” is not a number of percent.');
  await expect(page.getByRole('textbox', { name: 'Move in %' })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('what-if')).toHaveCount(0);

  await page.keyboard.press('Escape');
  await expect(page.getByTestId('what-if-banner')).toHaveText('Live figures.');
  await expect(page.getByTestId('what-if')).toHaveCount(0);
  await expect(slider).toHaveValue('0');

  // The drill-down's table of moves per currency.
  await cardFor(page, DEMO_ACCOUNT.bitso).getByRole('link').first().click();
  const panel = page.getByTestId('risk-panel');
  const table = panel.getByTestId('risk-table');
  await expect(table).toBeVisible();
  await expect(table.locator('thead th')).toContainText([
    'Currency',
    'Price',
    'Held',
    'Owed',
    'To margin call',
  ]);
  await expect(table.locator('tbody tr').first().locator('th')).toHaveText(/\S/);
  await expect(table.locator('tr[data-currency="market"] th')).toHaveText('Market');
  await expect(panel.getByTestId('risk-nearest')).toContainText(/→|Already below/);
  await expect(panel.getByTestId('risk-method')).toContainText('How this is estimated');
  await expect(table.locator('tr[data-currency="market"] td').nth(1)).toHaveText(
    /^worth [\d,]+\.\d{2}\s\S+$/,
  );
  await expectAccessible(page);
  await attachScreenshot(testInfo, 'drill-price-moves', page);

  // At 400 px the same figures are stacked per currency, each with its name, none of them off-screen.
  await page.setViewportSize({ width: 400, height: 900 });
  await expect(table).toBeHidden();
  const stack = panel.getByRole('list', { name: 'Price moves per currency' });
  await expect(stack).toBeVisible();
  const first = stack.getByRole('listitem').first();
  await expect(first.locator('dt')).toContainText(['Price', 'Held', 'Owed', 'To margin call']);
  for (const dd of await first.locator('dd').all()) {
    const box = await dd.boundingBox();
    expect(box && box.x + box.width <= 400).toBe(true);
  }
  await expectAccessible(page);
  await attachScreenshot(testInfo, 'drill-price-moves-narrow', page);
});
