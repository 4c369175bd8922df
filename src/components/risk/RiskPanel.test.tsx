// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { accountInfo, riskFrame } from '../../app/testing/fake-exchange.ts';
import { renderWithStores, stubApi } from '../../app/testing/render.tsx';
import type { RiskReport, RiskReportDto } from '../../contract/risk.ts';
import { DrillDown } from '../DrillDown.tsx';
import { estimateReport, unavailableReport } from './testing/reports.ts';

const account = accountInfo('acc-1', 'fakex', 'Main account');

async function open(report: RiskReportDto | number) {
  const fetchMock = stubApi({ accounts: [account], risk: typeof report === 'number' ? report : [report] });
  const h = renderWithStores(<DrillDown id="acc-1" />, { accounts: [account] });
  await screen.findByTestId('drill-down');
  h.send(riskFrame('acc-1', '1.6667', Date.now()));
  const panel = screen.getByTestId('risk-panel');
  await waitFor(() => expect(within(panel).queryByText(/Loading the price-move estimate/)).toBeNull());
  return { panel, fetchMock };
}

/** BTC held and ETH owed; the prices were received 5 s ago. */
function twoCurrencies(extra: Partial<RiskReportDto> = {}): RiskReport {
  const report = estimateReport({
    assets: '10000',
    liabilities: '6000',
    positions: [
      { currency: 'BTC', price: '60000', held: '0.1', owed: '0', stale: true },
      { currency: 'ETH', price: '2000', held: '0', owed: '0.5' },
    ],
    extra,
  });
  const receivedAt = Date.now() - 5_000;
  return { ...report, prices: report.prices.map((p) => ({ ...p, at: receivedAt })) };
}

function row(panel: HTMLElement, currency: string): string[] {
  const tr = panel.querySelector(`tr[data-currency="${currency}"]`);
  if (!tr) throw new Error(`no row for ${currency}`);
  return [...tr.querySelectorAll('th, td')].map((cell) =>
    (cell.textContent ?? '').replace(/\s+/g, ' ').trim(),
  );
}

describe('the drill-down price moves', () => {
  it('asks for this account’s estimate', async () => {
    const { fetchMock } = await open(twoCurrencies());
    const urls = fetchMock.mock.calls.map(([url]) => (typeof url === 'string' ? url : ''));
    expect(urls).toContain('/api/accounts/acc-1/risk');
  });

  it('tables each currency: price with source and age, held, owed and the move to each line', async () => {
    const { panel } = await open(twoCurrencies());
    const table = within(panel).getByRole('table');
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((h) => h.textContent),
    ).toEqual(['Currency', 'Price', 'Held', 'Owed', 'To margin call', 'To liquidation']);
    // BTC: (1.5·6000 − 10000) / 6000 = −16.67 %; (1.1·6000 − 10000) / 6000 = −56.67 %.
    const btc = row(panel, 'BTC');
    expect(btc[0]).toBe('BTC');
    expect(btc[1]).toMatch(/^60,000 USD Test ticker btc_usd \(last\) · \d+ s ago stale$/);
    expect(btc.slice(2)).toEqual(['0.1', '0', '−16 %', '−56 %']);
    // ETH owed 0.5 (1 000 USD): (9000 − 10000) / (0 − 1.5·1000) = +66.7 %; (6600 − 10000) / (−1100) = +309 %.
    expect(row(panel, 'ETH').slice(2)).toEqual(['0', '0.5', '+66 %', '+309 %']);
    // Market: held 6 000, owed 1 000: (9000 − 10000) / (6000 − 1500) = −22.2 %; (6600 − 10000) / (6000 − 1100).
    expect(row(panel, 'market')).toEqual([
      'Market',
      'every currency but USD together',
      'worth 6,000.00 USD',
      'worth 1,000.00 USD',
      '−22 %',
      '−69 %',
    ]);
    expect(within(panel).getByTestId('risk-nearest')).toHaveTextContent(
      'Nearest danger: BTC −16 % → margin call stale price: BTC',
    );
    expect(within(panel).queryByTestId('risk-gaps')).toBeNull();
    expect(within(panel).queryByTestId('risk-trend')).toBeNull();
  });

  it('labels the market’s values in the reference currency and writes them in cents, every digit on hover', async () => {
    const report = estimateReport({
      reference: 'USDT',
      assets: '30000.123456789012',
      liabilities: '10000.5',
      positions: [{ currency: 'BTC', price: '69425.0707485593', held: '0.3', owed: '0' }],
    });
    const { panel } = await open(report);
    // 0.3 × 69 425.0707485593 = 20 827.52122456779.
    const held = row(panel, 'market')[2];
    expect(held).toBe('worth 20,827.52 USDT');
    const cell = panel.querySelector('tr[data-currency="market"] td:nth-of-type(2) .num');
    expect(cell).toHaveAttribute('title', '20,827.52122456779 USDT');
    expect(within(panel).getByText(/^From assets/)).toHaveTextContent(
      'From assets 30,000.12 USDT and liabilities 10,000.50 USDT as the venue reports them.',
    );
  });

  it('stacks each currency’s figures with their names for a narrow screen', async () => {
    const { panel } = await open(twoCurrencies());
    const stack = within(panel).getByRole('list', { name: 'Price moves per currency' });
    const items = within(stack).getAllByRole('listitem');
    expect(items.map((li) => li.getAttribute('data-currency'))).toEqual(['BTC', 'ETH', 'market']);
    const pairs = (li: HTMLElement) =>
      [...li.querySelectorAll('dl > div')].map((d) => (d.textContent ?? '').replace(/\s+/g, ' ').trim());
    const [btc, eth, market] = items as [HTMLElement, HTMLElement, HTMLElement];
    expect(within(btc).getByRole('heading', { level: 4 })).toHaveTextContent('BTC');
    expect(pairs(btc).slice(1)).toEqual([
      'Held0.1 BTC',
      'Owed0 BTC',
      'To margin call−16 %',
      'To liquidation−56 %',
    ]);
    expect(pairs(eth).slice(1, 3)).toEqual(['Held0 ETH', 'Owed0.5 ETH']);
    expect(pairs(market)).toEqual([
      'Heldworth 6,000.00 USD',
      'Owedworth 1,000.00 USD',
      'To margin call−22 %',
      'To liquidation−69 %',
    ]);
  });

  it('says "already below" and "not reachable" instead of a number', async () => {
    // Level 1.45 (below 1.5); 0.001 BTC (60 USD) cannot bring 8 700 / 6 000 to 1.1.
    const report = estimateReport({
      assets: '8700',
      liabilities: '6000',
      positions: [{ currency: 'BTC', price: '60000', held: '0.001', owed: '0' }],
    });
    const { panel } = await open(report);
    expect(row(panel, 'BTC').slice(4)).toEqual(['already below', 'not reachable']);
  });

  it('marks only the estimated move as approximate, not "Already below"', async () => {
    const report = estimateReport({
      assets: '8700',
      liabilities: '6000',
      positions: [{ currency: 'BTC', price: '60000', held: '0.1', owed: '0' }],
      extra: { approximate: { assetsGap: '0.03', liabilitiesGap: '0' } },
    });
    const { panel } = await open(report);
    expect(within(panel).getByTestId('risk-nearest')).toHaveTextContent(
      'Nearest danger: Already below margin call · ≈ approximately BTC −35 % → liquidation',
    );
  });

  it('shows the gaps, the trend with its window, and a takeover column when a move reaches takeover', async () => {
    const report = twoCurrencies({
      approximate: { assetsGap: '0.031', liabilitiesGap: '-0.004' },
      trend: { perHour: '-0.05', window: 1_800_000, toMarginCallMs: 7_800_000, toLiquidationMs: null },
    });
    report.moves[0] = { ...report.moves[0]!, toTakeover: '-0.6' };
    const { panel } = await open(report);
    expect(within(panel).getByTestId('risk-gaps')).toHaveTextContent(
      "Balances × prices differ from the venue's totals in USD: assets +3.1 %, liabilities −0.4 %. The moves are approximate.",
    );
    expect(within(panel).getByTestId('risk-trend')).toHaveTextContent(
      'At this pace, margin call in about 2 h 10 min (last 30 min).',
    );
    expect(within(panel).getByTestId('risk-nearest')).toHaveTextContent(
      '≈ approximately BTC −16 % → margin call',
    );
    expect(within(panel).getAllByRole('columnheader').at(-1)).toHaveTextContent('To takeover');
    expect(row(panel, 'BTC').at(-1)).toBe('−60 %');
    expect(row(panel, 'ETH').at(-1)).toBe('not reachable');
  });

  it('says a missing price and why, never a made-up one', async () => {
    const report = twoCurrencies();
    report.prices.push({
      currency: 'DOGE',
      price: null,
      source: 'Test ticker doge_usd (last)',
      at: null,
      stale: false,
      problem: 'pair not listed',
    });
    const { panel } = await open(report);
    expect(row(panel, 'DOGE')).toEqual([
      'DOGE',
      'no price: pair not listed Test ticker doge_usd (last) · never received',
      '—not known',
      '—not known',
      'no estimate',
      'no estimate',
    ]);
  });

  it('gives the reason when the venue cannot support an estimate, and no table', async () => {
    const reason = 'The account stream does not say which positions hold the margin.';
    const { panel } = await open(unavailableReport(reason));
    expect(within(panel).getByTestId('risk-unavailable')).toHaveTextContent(
      `No price estimate for FakeX. ${reason}`,
    );
    expect(within(panel).queryByRole('table')).toBeNull();
    expect(within(panel).getByTestId('risk-method')).toHaveTextContent(
      'How this is estimated: each move is the change of one price',
    );
  });

  it('shows the prices and the trend even when the venue supports no estimate', async () => {
    const reason = 'The margin fraction is not collateral ÷ exposure.';
    const { panel } = await open({
      ...unavailableReport(reason),
      reference: 'USDC',
      prices: [
        {
          currency: 'BTC',
          price: '40028.9',
          source: 'Test ticker BTCUSDC (markPrice)',
          at: Date.now() - 3_000,
          stale: false,
        },
      ],
      trend: { perHour: '-0.01', window: 1_800_000, toMarginCallMs: 600_000, toLiquidationMs: null },
    });
    expect(within(panel).getByTestId('risk-unavailable')).toHaveTextContent(reason);
    expect(within(panel).queryByTestId('risk-table')).toBeNull();
    expect(row(panel, 'BTC')[1]).toMatch(/^40,028\.9 USDC Test ticker BTCUSDC \(markPrice\) · \d+ s ago$/);
    expect(within(panel).getByTestId('risk-trend')).toHaveTextContent(
      'At this pace, margin call in about 10 min (last 30 min).',
    );
  });

  it('shows a failed request in place with a retry', async () => {
    const { panel } = await open(503);
    expect(within(panel).getByRole('alert')).toHaveTextContent(
      /Could not load the price-move estimate: HTTP 503/,
    );
    expect(within(panel).getByRole('button', { name: 'Retry' })).toBeInTheDocument();
  });
});
