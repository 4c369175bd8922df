// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { accountInfo, fakeModule, messageFrame, riskFrame } from '../app/testing/fake-exchange.ts';
import { renderWithStores, stubApi } from '../app/testing/render.tsx';
import type { AccountInfo } from '../app/transport/protocol.ts';
import { dec } from '../domain/decimal.ts';
import push from '../exchanges/bitopro/fixtures/ws-margin-account-info.json';
import { bitopro } from '../exchanges/bitopro/index.ts';
import { DrillDown } from './DrillDown.tsx';
import { formatUtc } from './words.ts';

const account: AccountInfo = {
  ...accountInfo('acc-1', 'fakex', 'Main account'),
  thresholds: { marginCall: dec('1.6') },
};

const restCalls = (fetchMock: ReturnType<typeof stubApi>) =>
  fetchMock.mock.calls.filter(([url]) => typeof url === 'string' && url.includes('/rest/')).length;

async function setup(rest: unknown) {
  const fetchMock = stubApi({ accounts: [account], rest: { 'acc-1/balances': rest } });
  const h = renderWithStores(<DrillDown id="acc-1" />, { accounts: [account] });
  await screen.findByTestId('drill-down');
  return { h, fetchMock };
}

describe('DrillDown', () => {
  it("names the venue's word as the reason for the zone when the venue set it", async () => {
    const { h } = await setup({ rows: [] });
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
    const { h } = await setup({ rows: [] });
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

    const raw = screen.getByTestId('raw-messages');
    const summary = within(raw).getByText('risk').closest('summary');
    expect(summary).toHaveTextContent(/risk · stream · accepted/);
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

  it('fetches REST detail through the proxy, parses it and merges it into the balances table', async () => {
    const { h, fetchMock } = await setup({
      rows: [
        { currency: 'USDT', total: '1500.25', borrowed: '10.00' },
        { currency: 'ETH', total: '0', borrowed: '0' },
      ],
    });
    h.send(riskFrame('acc-1', '2', Date.now()));
    // The REST response is merged through the store; each `send()` commits like an animation frame.
    await vi.waitFor(() => {
      h.send();
      expect(within(screen.getByTestId('currency-table')).getByText('USDT')).toBeInTheDocument();
    });
    const table = screen.getByTestId('currency-table');
    expect(fetchMock).toHaveBeenCalledWith('/api/accounts/acc-1/rest/balances', expect.anything());
    expect(within(table).getByText('1,500.25')).toBeInTheDocument();
    expect(within(table).queryByText('ETH')).toBeNull();
    expect(screen.getByTestId('rest-status')).toHaveTextContent(/Fetched from the exchange \d+ s ago/);
    expect(h.stores.account('fakex', 'acc-1')?.raw.balances).toMatchObject({
      origin: 'rest',
      outcome: 'update',
    });
  });

  it('fetches a channel the proxy already streams once on opening, and again only when asked', async () => {
    const streamed = fakeModule();
    const quick = { ...streamed, drillDownRest: { path: 'balances', channel: 'balances', refetchMs: 40 } };
    const fetchMock = stubApi({ accounts: [account], rest: { 'acc-1/balances': { rows: [] } } });
    renderWithStores(<DrillDown id="acc-1" />, { accounts: [account], modules: [quick] });
    await screen.findByTestId('rest-status');
    await new Promise((r) => setTimeout(r, 300));
    expect(restCalls(fetchMock)).toBe(1);
    fireEvent.click(screen.getByRole('button', { name: 'Refresh balances' }));
    await vi.waitFor(() => expect(restCalls(fetchMock)).toBe(2));
  });

  it('polls REST detail on its interval when nothing else brings that channel', async () => {
    const restOnly = {
      ...fakeModule(),
      drillDownRest: { path: 'balances', channel: 'rest-only', refetchMs: 40 },
    };
    const fetchMock = stubApi({ accounts: [account], rest: { 'acc-1/balances': { rows: [] } } });
    renderWithStores(<DrillDown id="acc-1" />, { accounts: [account], modules: [restOnly] });
    await screen.findByTestId('rest-status');
    await vi.waitFor(() => expect(restCalls(fetchMock)).toBeGreaterThanOrEqual(3));
  });

  it('stamps REST detail on the proxy clock (once known), not the browser clock', async () => {
    const fetchMock = stubApi({ accounts: [account], rest: { 'acc-1/balances': { rows: [] } } });
    const h = renderWithStores(<DrillDown id="acc-1" />, { accounts: [account], clockUnknown: true });
    await screen.findByTestId('rest-status');
    expect(restCalls(fetchMock)).toBe(1);
    h.send();
    expect(h.stores.account('fakex', 'acc-1')?.raw.balances).toBeUndefined();
    const offset = 3_600_000;
    act(() => h.stores.frameReceived({ type: 'ping', at: Date.now() + offset }));
    await vi.waitFor(() => {
      h.send();
      expect(h.stores.account('fakex', 'acc-1')?.raw.balances).toBeDefined();
    });
    const stamped = h.stores.account('fakex', 'acc-1')?.raw.balances?.receivedAt ?? 0;
    expect(Math.abs(stamped - (Date.now() + offset))).toBeLessThan(5_000);
  });

  it('shows a failed REST fetch in place with a retry, never a blank panel', async () => {
    const { fetchMock } = await setup(502);
    // One retry (after a second) before the failure is shown.
    const message = await screen.findByText(
      /Could not load balances from the exchange/,
      {},
      { timeout: 4000 },
    );
    const problem = message.closest<HTMLElement>('[data-testid="query-problem"]')!;
    expect(problem).toBeInTheDocument();
    expect(problem).toHaveTextContent('HTTP 502: upstream said 502');
    expect(screen.getByText('No per-currency balances reported yet.')).toBeInTheDocument();
    const before = fetchMock.mock.calls.length;
    fireEvent.click(within(problem).getByRole('button', { name: 'Retry' }));
    await vi.waitFor(() => expect(fetchMock.mock.calls.length).toBeGreaterThan(before));
  });

  it('says so when the account does not exist', async () => {
    stubApi({ accounts: [account] });
    renderWithStores(<DrillDown id="nope" />, { accounts: [account] });
    expect(await screen.findByTestId('unknown-account')).toHaveTextContent(
      'There is no account with the id nope.',
    );
  });
});
