// Price moves against the demo: the cards of the Bitso and BitoPro demo accounts say the nearest danger in words,
// the what-if slider shows an estimate on every card and Escape returns to live, and a drill-down tables the moves
// per currency. B2Prime says why it has no estimate.
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

const DANGER = /(^|·\s)\S+\s[−+]<?[\d.,]+\s%\s→\s(margin call|liquidation|takeover)$|^Already below /;

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
  await expect(cardFor(page, DEMO_ACCOUNT.b2prime).getByTestId('danger')).toHaveText(
    'No price estimate for B2Prime',
  );

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
    await expect(estimate.getByTestId('what-if-cushion')).toHaveText(/%|unknown/);
  }
  await expect(cardFor(page, DEMO_ACCOUNT.b2prime).getByTestId('what-if')).toHaveAttribute(
    'data-kind',
    'unavailable',
  );
  await expectAccessible(page);
  await attachScreenshot(testInfo, 'what-if', page);

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
  await expectAccessible(page);
  await attachScreenshot(testInfo, 'drill-price-moves', page);
});
