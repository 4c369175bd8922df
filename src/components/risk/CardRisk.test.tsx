// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { accountInfo, messageFrame, riskFrame } from '../../app/testing/fake-exchange.ts';
import { renderWithStores, stubApi } from '../../app/testing/render.tsx';
import type { RiskReportDto } from '../../contract/risk.ts';
import { AccountCard } from '../AccountCard.tsx';
import { btcLong, estimateReport, unavailableReport } from './testing/reports.ts';

async function danger(report: RiskReportDto | null, risk: RiskReportDto[] | number = report ? [report] : []) {
  return (await render(report, risk)).line;
}

async function render(
  report: RiskReportDto | null,
  risk: RiskReportDto[] | number = report ? [report] : [],
  level = '1.6667',
) {
  stubApi({ accounts: [accountInfo('acc-1')], risk });
  const h = renderWithStores(
    <AccountCard accountId="acc-1" exchange="fakex" exchangeName="FakeX" label="Main" />,
    { accounts: [accountInfo('acc-1')] },
  );
  h.send(riskFrame('acc-1', level, Date.now()));
  const line = screen.getByTestId('danger');
  expect(line).toHaveAttribute('data-kind', 'loading');
  expect(line).toHaveTextContent('Estimating price moves…');
  await waitFor(() => expect(screen.getByTestId('danger')).not.toHaveAttribute('data-kind', 'loading'));
  return { h, line: screen.getByTestId('danger') };
}

describe('the card’s nearest danger', () => {
  it('says the currency, its move and the line in words', async () => {
    const line = await danger(btcLong());
    expect(line).toHaveAttribute('data-kind', 'move');
    expect(line).toHaveTextContent('Nearest danger: BTC −16 % → margin call');
    expect(within(line).queryByTestId('stale-prices')).toBeNull();
    expect(line).not.toHaveTextContent('approximately');
  });

  it('marks an approximate estimate with "≈" and in words, and a stale price', async () => {
    const report = estimateReport({
      assets: '10000',
      liabilities: '6000',
      positions: [{ currency: 'BTC', price: '60000', held: '0.1', owed: '0', stale: true }],
      extra: { approximate: { assetsGap: '0.03', liabilitiesGap: '0' } },
    });
    const line = await danger(report);
    expect(line).toHaveTextContent('≈ approximately BTC −16 % → margin call');
    expect(within(line).getByTestId('stale-prices')).toHaveTextContent('stale price: BTC');
  });

  it('says "Already below margin call" with the next line a move reaches', async () => {
    const report = estimateReport({
      assets: '8700',
      liabilities: '6000',
      positions: [{ currency: 'BTC', price: '60000', held: '0.1', owed: '0' }],
      extra: { approximate: { assetsGap: '0.03', liabilitiesGap: '0' } },
    });
    const { line } = await render(report, [report], '1.45');
    // "≈" marks the estimated move, not the live level's own say.
    expect(line).toHaveTextContent('Already below margin call · ≈ approximately BTC −35 % → liquidation');
  });

  it('follows the live totals and balances at the report’s prices, not the older report', async () => {
    // The report (10 000 / 6 000) says BTC −16 % → margin call; live, 9 000 / 6 000 = 1.5 is at the line.
    const report = estimateReport({
      reference: 'USDT',
      assets: '10000',
      liabilities: '6000',
      positions: [{ currency: 'BTC', price: '60000', held: '0.1', owed: '0' }],
    });
    const { h, line } = await render(report);
    expect(line).toHaveTextContent('BTC −16 % → margin call');
    const risk = { level: '1.5', liquidation: '1.1', caution: '1.5', assets: '9000', debt: '6000' };
    h.send(messageFrame('acc-1', 'risk', risk, Date.now()));
    h.send(
      messageFrame(
        'acc-1',
        'balances',
        {
          rows: [
            { currency: 'BTC', total: '0.1' },
            { currency: 'USDT', total: '3000' },
          ],
        },
        Date.now(),
      ),
    );
    // (9 000 + r·6 000) / 6 000 = 1.1 at r = −40 %.
    await waitFor(() =>
      expect(screen.getByTestId('danger')).toHaveTextContent(
        'Already below margin call · BTC −40 % → liquidation',
      ),
    );
  });

  it('says why there is no estimate on the card, not only on hover, with a link to the drill-down', async () => {
    const reason = 'The account stream does not say which positions hold the margin.';
    const line = await danger(unavailableReport(reason));
    expect(line).toHaveAttribute('data-kind', 'unavailable');
    expect(within(line).getByText('No price estimate for FakeX')).toBeVisible();
    // The reason is text on the card (one line, cut with "…" by the style), whole for screen readers.
    const why = within(line).getByTestId('danger-reason');
    expect(why).toHaveTextContent(reason);
    expect(why).toBeVisible();
    expect(why).not.toHaveClass('sr-only');
    const link = within(line).getByRole('link', { name: "Details of Main's price moves" });
    expect(link).toHaveAttribute('href', '/accounts/acc-1');
    expect(link).toHaveAccessibleDescription(reason);
    expect(line.textContent).not.toMatch(/\d/);
  });

  it('says there is no estimate yet when the proxy has none for the account', async () => {
    const line = await danger(null, [btcLong({}, 'someone-else')]);
    expect(line).toHaveAttribute('data-kind', 'none-yet');
    expect(line).toHaveTextContent('No price estimate yet');
  });

  it('says the estimate could not be loaded and why, with a link to the drill-down', async () => {
    const line = await danger(null, 503);
    expect(line).toHaveAttribute('data-kind', 'error');
    expect(within(line).getByText('Price estimate not loaded')).toBeVisible();
    const why = within(line).getByTestId('danger-reason');
    expect(why.textContent).toMatch(/^HTTP 503/);
    const link = within(line).getByRole('link', { name: "Details of Main's price moves" });
    expect(link).toHaveAttribute('href', '/accounts/acc-1');
    expect(link).toHaveAccessibleDescription(why.textContent ?? '');
  });

  it('keeps the last estimate when a refresh fails, and says it is not updated', async () => {
    const { h, line } = await render(btcLong());
    stubApi({ accounts: [accountInfo('acc-1')], risk: 502 });
    await act(() => h.queryClient.refetchQueries());
    const stale = await within(line).findByText('not updated');
    expect(line).toHaveTextContent('BTC −16 % → margin call');
    expect(stale).toHaveAttribute('title', expect.stringMatching(/^HTTP 502/));
  });
});
