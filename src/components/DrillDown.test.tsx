// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { accountInfo, messageFrame, riskFrame } from '../app/testing/fake-exchange.ts';
import { renderWithStores, stubApi, type FakeApi } from '../app/testing/render.tsx';
import type { AccountInfo } from '../contract/accounts.ts';
import { dec } from '../domain/decimal.ts';
import push from '../exchanges/bitopro/fixtures/ws-margin-account-info.json';
import { bitopro } from '../exchanges/bitopro/index.ts';
import { DrillDown } from './DrillDown.tsx';
import { formatUtc } from './words.ts';

const account: AccountInfo = {
  ...accountInfo('acc-1', 'fakex', 'Main account'),
  thresholds: { marginCall: dec('1.6') },
};

const calls = (fetchMock: ReturnType<typeof stubApi>, part: string) =>
  fetchMock.mock.calls.filter(([url]) => typeof url === 'string' && url.includes(part)).length;

async function setup(raw: FakeApi['raw'] = {}) {
  const fetchMock = stubApi({ accounts: [account], raw });
  const h = renderWithStores(<DrillDown id="acc-1" />, { accounts: [account] });
  await screen.findByTestId('drill-down');
  return { h, fetchMock };
}

describe('DrillDown', () => {
  it("names the venue's word as the reason for the zone when the venue set it", async () => {
    const { h } = await setup();
    h.send(
      messageFrame('acc-1', 'risk', { level: '2.0', liquidation: '1.1', liquidatingBy: 'FakeX' }, Date.now()),
    );
    const headline = screen.getByTestId('headline');
    expect(headline).toHaveTextContent('Zone: Liquidation (being liquidated by FakeX)');
    expect(screen.getByTestId('zone')).toHaveTextContent('Liquidation · being liquidated by FakeX');
  });

  it('says "As of" the time the proxy received the figures, not the time the exchange wrote in them', async () => {
    const bitoproAccount = accountInfo('bp-1', 'bitopro', 'BitoPro account');
    stubApi({ accounts: [bitoproAccount], rest: {} });
    const h = renderWithStores(<DrillDown id="bp-1" />, {
      modules: [bitopro],
      accounts: [bitoproAccount],
    });
    await screen.findByTestId('drill-down');
    const receivedAt = Date.now() - 5_000;
    h.send(messageFrame('bp-1', 'account-info', push, receivedAt));
    const asOf = within(screen.getByTestId('headline')).getByText(/As of/);
    // The fixture's push says 2024-07-19 09:28:16 UTC; the proxy heard it 5 s ago.
    expect(asOf.querySelector('time')).toHaveAttribute('title', formatUtc(receivedAt));
    expect(screen.getByTestId('details')).toHaveTextContent(/Pushed by BitoPro at\s*2024-07-19 09:28:16 UTC/);
  });

  it('shows every headline figure, thresholds with their source, exchange figures and raw messages', async () => {
    const receivedAt = Date.now();
    const payload = { level: '1.5', note: 'borrowing enabled' };
    const { h } = await setup({
      'acc-1': {
        accountId: 'acc-1',
        messages: [{ channel: 'risk', receivedAt, outcome: 'update', payload }],
      },
    });
    h.send(
      messageFrame(
        'acc-1',
        'risk',
        {
          level: '1.5',
          liquidation: '1.1',
          caution: '1.3',
          assets: '15000',
          debt: '10000',
          note: 'borrowing enabled',
        },
        Date.now(),
      ),
    );
    const headline = screen.getByTestId('headline');
    expect(within(headline).getByTestId('level')).toHaveTextContent('1.5');
    expect(headline).toHaveTextContent('Zone: Caution');
    expect(within(headline).getByTestId('cushion')).toHaveTextContent('26.7%');
    expect(within(headline).getByTestId('totals')).toHaveTextContent(/Liabilities\s*10,000\.00 USDT/);

    const thresholds = screen.getByTestId('threshold-table');
    const lines = within(thresholds)
      .getAllByRole('row')
      .slice(1)
      .map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent));
    expect(lines).toEqual([
      ['Margin call', '1.6', 'marginCall', 'Config'],
      ['Liquidation', '1.1', 'liquidation', 'Exchange'],
    ]);
    expect(screen.getByTestId('details')).toHaveTextContent(/Note\s*borrowing enabled/);

    // Raw messages come from the proxy on demand, shown as received.
    const raw = await screen.findByTestId('raw-messages');
    const summary = within(raw).getByText('risk').closest('summary');
    expect(summary).toHaveTextContent(/risk · accepted/);
    const details = raw.querySelector('details');
    expect(details).not.toHaveAttribute('open');
    // Closed: the payload is neither serialised nor rendered.
    expect(raw.querySelector('pre')).toBeNull();
    act(() => {
      if (details) details.open = true;
      details?.dispatchEvent(new Event('toggle'));
    });
    expect(raw.querySelector('pre')).toHaveTextContent('"note": "borrowing enabled"');
    expect(screen.getByTestId('drill-history')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '← All accounts' })).toHaveAttribute('href', '/');
  });

  it('shows the balances of the snapshot, as the proxy read them', async () => {
    const { h, fetchMock } = await setup();
    h.send(
      riskFrame('acc-1', '2', Date.now()),
      messageFrame(
        'acc-1',
        'balances',
        {
          rows: [
            { currency: 'USDT', total: '1500.25', borrowed: '10.00' },
            { currency: 'ETH', total: '0', borrowed: '0' },
          ],
        },
        Date.now(),
      ),
    );
    const table = screen.getByTestId('currency-table');
    expect(within(table).getByText('1,500.25')).toBeInTheDocument();
    expect(within(table).queryByText('ETH')).toBeNull();
    // The browser asks the exchange for nothing: the figures come on the stream.
    expect(calls(fetchMock, '/rest/')).toBe(0);
  });

  it('fetches the raw messages once on opening, and again only when asked', async () => {
    const { fetchMock } = await setup();
    expect(await screen.findByText('No message received yet.')).toBeInTheDocument();
    await new Promise((r) => setTimeout(r, 100));
    expect(calls(fetchMock, '/raw')).toBe(1);
    fireEvent.click(screen.getByRole('button', { name: 'Refresh raw messages' }));
    await vi.waitFor(() => expect(calls(fetchMock, '/raw')).toBe(2));
  });

  it('shows a failed raw-message fetch in place with a retry, never a blank panel', async () => {
    const { fetchMock } = await setup({ 'acc-1': 502 });
    const message = await screen.findByText(/Could not load the latest raw messages/);
    const problem = message.closest<HTMLElement>('[data-testid="query-problem"]')!;
    expect(problem).toHaveTextContent('HTTP 502: the proxy said 502');
    const before = calls(fetchMock, '/raw');
    fireEvent.click(within(problem).getByRole('button', { name: 'Retry' }));
    await vi.waitFor(() => expect(calls(fetchMock, '/raw')).toBeGreaterThan(before));
  });

  it('says so when the account does not exist', async () => {
    stubApi({ accounts: [account] });
    renderWithStores(<DrillDown id="nope" />, { accounts: [account] });
    expect(await screen.findByTestId('unknown-account')).toHaveTextContent(
      'There is no account with the id nope.',
    );
  });
});
