// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { App } from '../app/App.tsx';
import { accountInfo, riskFrame } from '../app/testing/fake-exchange.ts';
import { renderWithStores, stubApi } from '../app/testing/render.tsx';
import type { WebSocketLike } from '../transport/stream-socket.ts';
import type { StreamTuning } from './useMarginStream.ts';

class FakeSocket implements WebSocketLike {
  onopen: WebSocketLike['onopen'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  closed = false;
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true;
  }
  open(): void {
    act(() => this.onopen?.(new Event('open')));
  }
  receive(frame: unknown): void {
    act(() => this.onmessage?.({ data: JSON.stringify(frame) } as MessageEvent));
  }
  drop(): void {
    act(() => this.onclose?.({ code: 1006, reason: '' } as CloseEvent));
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const tuning: StreamTuning = {
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    random: () => 0,
  };
  return { sockets, tuning };
}

const accountCalls = (fetchMock: ReturnType<typeof stubApi>) =>
  fetchMock.mock.calls.filter(([url]) => url === '/api/accounts').length;

describe('useMarginStream (through the app shell)', () => {
  it('shows the product name and an empty overview with no accounts', async () => {
    stubApi({ accounts: [] });
    const { tuning } = harness();
    renderWithStores(<App streamUrl="ws://test/api/stream" streamTuning={tuning} />, { offline: true });
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Margin Watch');
    expect(await screen.findByText('No account is connected yet.')).toBeInTheDocument();
    expect(screen.getByRole('main')).toBeInTheDocument();
    expect(screen.getByRole('banner')).toBeInTheDocument();
  });

  it('opens one socket, routes frames to the cards, and refetches accounts on every reconnect', async () => {
    const fetchMock = stubApi({ accounts: [accountInfo('a', 'fakex', 'Alpha')] });
    const { sockets, tuning } = harness();
    const h = renderWithStores(<App streamUrl="ws://test/api/stream" streamTuning={tuning} />, {
      offline: true,
    });
    expect(sockets).toHaveLength(1);
    expect(sockets[0]?.url).toBe('ws://test/api/stream');
    expect(screen.getByTestId('stream-status')).toHaveTextContent('Connecting…');
    const socket = sockets[0];
    if (!socket) throw new Error('no socket');
    socket.open();
    expect(screen.getByTestId('stream-status')).toHaveTextContent('Stream connected');
    // A snapshot frame that arrives before the account list is kept for the account's card.
    socket.receive(h.proxy.wire(riskFrame('a', '1.75', Date.now())));
    const card = await screen.findByTestId('account-card');
    await vi.waitFor(() => {
      act(() => h.stores.flushAll());
      expect(within(card).getByTestId('level')).toHaveTextContent('1.75');
    });
    const callsBefore = accountCalls(fetchMock);

    socket.drop();
    expect(screen.getByTestId('stream-status')).toHaveTextContent('Stream lost');
    expect(card).toHaveAttribute('data-freshness', 'offline');
    await act(async () => {
      await new Promise((r) => setTimeout(r, 5));
    });
    expect(sockets).toHaveLength(2);
    expect(accountCalls(fetchMock)).toBe(callsBefore);
    sockets[1]?.open();
    await vi.waitFor(() => expect(accountCalls(fetchMock)).toBe(callsBefore + 1));
    expect(screen.getByTestId('stream-status')).toHaveTextContent('Stream connected');
  });

  it('navigates to the drill-down and back', async () => {
    stubApi({ accounts: [accountInfo('a', 'fakex', 'Alpha')], rest: { 'a/balances': { rows: [] } } });
    const { tuning } = harness();
    const h = renderWithStores(<App streamUrl="ws://test/api/stream" streamTuning={tuning} />);
    fireEvent.click(await screen.findByRole('link', { name: 'Alpha' }));
    expect(h.location.history.at(-1)).toBe('/accounts/a');
    expect(await screen.findByRole('heading', { level: 2, name: 'Alpha' })).toBeInTheDocument();
    fireEvent.click(screen.getByRole('link', { name: '← All accounts' }));
    expect(await screen.findByTestId('account-list')).toBeInTheDocument();
  });

  it('closes the socket on unmount', () => {
    stubApi({ accounts: [] });
    const { sockets, tuning } = harness();
    const h = renderWithStores(<App streamUrl="ws://test/api/stream" streamTuning={tuning} />);
    sockets[0]?.open();
    h.unmount();
    expect(sockets[0]?.closed).toBe(true);
  });
});
