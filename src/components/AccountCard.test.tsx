// @vitest-environment jsdom
import { act, screen, within } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountInfo, messageFrame, riskFrame } from '../app/testing/fake-exchange.ts';
import { renderWithStores } from '../app/testing/render.tsx';
import { connectionEvents } from '../stores/connection-store.ts';
import { LIVE_APPEND_MS, SPARKLINE_POINTS, SPARKLINE_RANGE, historyKeys } from '../hooks/useHistory.ts';
import { AccountCard } from './AccountCard.tsx';
import { bucket, history } from '../contract/testing/history.ts';
import type { HistoryData } from '../hooks/history/model.ts';

afterEach(() => {
  vi.useRealTimers();
});

function card(accountId: string) {
  const el = document.querySelector(`[data-testid="account-card"][data-account-id="${accountId}"]`);
  if (!(el instanceof HTMLElement)) throw new Error(`no card for ${accountId}`);
  return el;
}

describe('AccountCard', () => {
  it('re-renders only the card whose account changed', () => {
    const renders: Record<string, number> = { a: 0, b: 0 };
    const count = (id: string) => () => {
      renders[id] = (renders[id] ?? 0) + 1;
    };
    const h = renderWithStores(
      <>
        <Profiler id="a" onRender={count('a')}>
          <AccountCard accountId="a" exchange="fakex" exchangeName="FakeX" label="Account A" />
        </Profiler>
        <Profiler id="b" onRender={count('b')}>
          <AccountCard accountId="b" exchange="fakex" exchangeName="FakeX" label="Account B" />
        </Profiler>
      </>,
      { accounts: [accountInfo('a'), accountInfo('b')] },
    );
    const now = Date.now();
    h.send(riskFrame('a', '2.00', now), riskFrame('b', '3.00', now));
    const before = { ...renders };
    h.send(riskFrame('a', '1.95', now + 1));
    h.send(riskFrame('a', '1.90', now + 2));
    expect(renders.a).toBe((before.a ?? 0) + 2);
    expect(renders.b).toBe(before.b);
    expect(within(card('a')).getByTestId('level')).toHaveTextContent('1.90');
    expect(within(card('b')).getByTestId('level')).toHaveTextContent('3.00');
  });

  it('shows the level as the exchange wrote it, the zone in words, the cushion and the thresholds', () => {
    const h = renderWithStores(
      <AccountCard accountId="a" exchange="fakex" exchangeName="FakeX" label="Account A" />,
      {
        accounts: [accountInfo('a')],
      },
    );
    h.send(
      messageFrame(
        'a',
        'risk',
        { level: '1.4000', liquidation: '1.1', caution: '1.5', assets: '1400.5', debt: '1000' },
        Date.now(),
      ),
    );
    const c = card('a');
    expect(within(c).getByTestId('level')).toHaveTextContent('1.4000');
    expect(within(c).getByText('Fake ratio')).toBeInTheDocument();
    expect(within(c).getByTestId('zone')).toHaveTextContent('Caution');
    expect(c).toHaveAttribute('data-zone', 'caution');
    // 1 − 1.1 / 1.4 = 0.2142857… → 21.4%
    expect(within(c).getByTestId('cushion')).toHaveTextContent('21.4%');
    expect(within(c).getByTestId('thresholds')).toHaveTextContent(/Margin call\s*1\.5/);
    expect(within(c).getByTestId('thresholds')).toHaveTextContent(/Liquidation\s*1\.1/);
    expect(within(c).getByTestId('totals')).toHaveTextContent(/Assets\s*1,400\.50 USDT/);
    expect(within(c).getByTestId('totals')).not.toHaveTextContent('Equity');
    expect(within(c).getByRole('link', { name: 'Account A' })).toHaveAttribute('href', '/accounts/a');
  });

  it("shows the venue's own word: Liquidation with its words whatever the level, until the venue lifts it", () => {
    const h = renderWithStores(
      <AccountCard accountId="a" exchange="fakex" exchangeName="FakeX" label="Account A" />,
      {
        accounts: [accountInfo('a')],
      },
    );
    const now = Date.now();
    h.send(messageFrame('a', 'risk', { level: '2.00', liquidation: '1.1', liquidatingBy: 'FakeX' }, now));
    const c = card('a');
    expect(c).toHaveAttribute('data-zone', 'liquidation');
    expect(within(c).getByTestId('zone')).toHaveTextContent('Liquidation · being liquidated by FakeX');
    expect(within(c).getByTestId('level')).toHaveTextContent('2.00');
    h.send(messageFrame('a', 'risk', { level: '2.00', liquidation: '1.1' }, now + 1));
    expect(c).toHaveAttribute('data-zone', 'safe');
    expect(within(c).queryByTestId('zone-venue')).toBeNull();
  });

  it('turns stale after 3× the channel cadence and says for how long', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_800_000_000_000);
    const h = renderWithStores(
      <AccountCard accountId="a" exchange="fakex" exchangeName="FakeX" label="Account A" />,
      {
        accounts: [accountInfo('a')],
      },
    );
    h.send(riskFrame('a', '2.00', Date.now()));
    const freshness = () => within(card('a')).getByTestId('freshness');
    expect(freshness()).toHaveTextContent('Live · updated 0 s ago');
    expect(within(card('a')).getByTestId('figures')).toHaveAttribute('data-live', 'true');
    act(() => {
      vi.advanceTimersByTime(3000);
    });
    expect(freshness()).toHaveTextContent('Live · updated 3 s ago');
    act(() => {
      vi.advanceTimersByTime(1000);
    });
    expect(card('a')).toHaveAttribute('data-freshness', 'stale');
    expect(freshness()).toHaveTextContent('Stale · 4 s');
    expect(within(card('a')).getByTestId('figures')).toHaveAttribute('data-live', 'false');
    act(() => {
      vi.advanceTimersByTime(19_000);
    });
    expect(freshness()).toHaveTextContent('Stale · 23 s');
    // A new message makes it live again.
    h.send(riskFrame('a', '2.01', Date.now()));
    expect(freshness()).toHaveTextContent('Live');
    expect(card('a')).toHaveAttribute('data-freshness', 'live');
  });

  it.each([
    ['reconnecting', 'upstream closed (1006)', 'Reconnecting to the exchange: upstream closed (1006)'],
    ['auth_failed', 'HTTP 401 Invalid Signature', 'Authentication failed: HTTP 401 Invalid Signature'],
    ['error', 'simulator unreachable', 'Error: simulator unreachable'],
  ] as const)('says %s in words with the proxy reason, keeping the figures dated', (state, detail, words) => {
    const h = renderWithStores(
      <AccountCard accountId="a" exchange="fakex" exchangeName="FakeX" label="Account A" />,
      {
        accounts: [accountInfo('a')],
      },
    );
    const now = Date.now();
    h.send(riskFrame('a', '2.00', now), { type: 'status', accountId: 'a', state, detail, at: now + 1 });
    expect(within(card('a')).getByTestId('freshness')).toHaveTextContent(words);
    expect(card('a')).toHaveAttribute('data-freshness', state);
    expect(within(card('a')).getByTestId('figures')).toHaveAttribute('data-live', 'false');
    expect(within(card('a')).getByTestId('level')).toHaveTextContent('2.00');
  });

  it('says when the browser has no connection to the proxy', () => {
    const h = renderWithStores(
      <AccountCard accountId="a" exchange="fakex" exchangeName="FakeX" label="Account A" />,
      {
        accounts: [accountInfo('a')],
      },
    );
    h.send(riskFrame('a', '2.00', Date.now()));
    act(() => {
      connectionEvents.socketChanged(h.stores.connection, {
        phase: 'waiting',
        attempt: 1,
        reason: 'closed (code 1006)',
      });
    });
    expect(within(card('a')).getByTestId('freshness')).toHaveTextContent(
      'No connection to Margin Watch, retrying: closed (code 1006)',
    );
    expect(card('a')).toHaveAttribute('data-freshness', 'offline');
  });

  it('shows a rejected message with the parser error, keeping the last good figures with their age', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_800_000_000_000);
    const h = renderWithStores(
      <AccountCard accountId="a" exchange="fakex" exchangeName="FakeX" label="Account A" />,
      {
        accounts: [accountInfo('a')],
      },
    );
    const now = Date.now();
    h.send(riskFrame('a', '1.80', now - 2000));
    h.send(messageFrame('a', 'risk', { level: 1.7 }, now));
    const notice = () => within(card('a')).getByTestId('rejection-notice');
    expect(notice()).toHaveTextContent('fakex risk: level: expected a decimal string, got the number 1.7');
    expect(notice()).toHaveTextContent(/Message rejected \(0 s ago\)/);
    expect(notice()).toHaveTextContent(/Showing the last good figures, from 2 s ago/);
    expect(notice()).toHaveAttribute('data-recovered', 'false');
    expect(within(card('a')).getByTestId('level')).toHaveTextContent('1.80');
    expect(card('a')).toHaveAttribute('data-freshness', 'rejected');

    // The channel recovers: figures live again, the notice stays a minute so a one-off is not missed.
    h.send(riskFrame('a', '1.85', now + 1));
    expect(card('a')).toHaveAttribute('data-freshness', 'live');
    expect(notice()).toHaveAttribute('data-recovered', 'true');
    expect(notice()).toHaveTextContent(/A message was rejected \(0 s ago\)/);
    expect(notice()).toHaveTextContent('Newer messages were accepted; the figures are current again.');
    act(() => {
      vi.advanceTimersByTime(59_000);
    });
    expect(notice()).toHaveTextContent(/A message was rejected \(59 s ago\)/);
    act(() => {
      vi.advanceTimersByTime(1_000);
    });
    expect(within(card('a')).queryByTestId('rejection-notice')).toBeNull();
  });

  it('announces zone changes politely, but not the first zone', () => {
    const h = renderWithStores(
      <AccountCard accountId="a" exchange="fakex" exchangeName="FakeX" label="Account A" />,
      {
        accounts: [accountInfo('a')],
      },
    );
    const live = () => card('a').querySelector('[aria-live="polite"]');
    h.send(riskFrame('a', '2.00', 1));
    expect(live()).toHaveTextContent(/^$/);
    h.send(riskFrame('a', '1.20', 2));
    expect(live()).toHaveTextContent('Account A: zone changed from Safe to Caution');
    expect(screen.getByTestId('zone')).toHaveTextContent('Caution');
  });

  it('extends its sparkline only with messages that carry the level, at their own time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const h = renderWithStores(
      <AccountCard accountId="a" exchange="fakex" exchangeName="FakeX" label="Account A" />,
      {
        accounts: [accountInfo('a')],
      },
    );
    const now = Date.now();
    const key = historyKeys.range('a', SPARKLINE_RANGE, SPARKLINE_POINTS);
    act(() => {
      h.queryClient.setQueryData(key, history([bucket(now - 600_000, '2.00')], { accountId: 'a' }));
    });
    h.send(riskFrame('a', '1.90', now - 5_000));
    // A balance poll (or a REST answer) later: the level is not new, and must not be drawn again at "now".
    h.send(messageFrame('a', 'balances', { rows: [{ currency: 'USDT', total: '5' }] }, now));
    await act(async () => {
      vi.advanceTimersByTime(LIVE_APPEND_MS);
    });
    const buckets = h.queryClient.getQueryData<HistoryData>(key)?.buckets ?? [];
    expect(buckets.map((b) => [b.last.text, b.lastAt, b.count])).toEqual([
      ['2.00', now - 600_000 + 59_000, 10],
      ['1.90', now - 5_000, 1],
    ]);
  });

  it('shows a dash, never 0, for a figure not reported yet', () => {
    renderWithStores(<AccountCard accountId="a" exchange="fakex" exchangeName="FakeX" label="Account A" />, {
      accounts: [accountInfo('a')],
    });
    expect(within(card('a')).getByTestId('level')).toHaveTextContent('—');
    expect(within(card('a')).getByTestId('cushion')).toHaveTextContent('unknown');
    expect(within(card('a')).getByTestId('freshness')).toHaveTextContent('Waiting for first data');
    expect(within(card('a')).getByTestId('zone')).toHaveTextContent('Unknown');
  });
});
