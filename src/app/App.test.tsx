// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type * as AlertCenterModule from '../components/alerts/AlertCenter.tsx';
import type * as AlertsPageModule from '../components/alerts/AlertsPage.tsx';
import type { StreamTuning } from '../hooks/useMarginStream.ts';
import { App } from './App.tsx';
import { accountInfo, riskFrame } from './testing/fake-exchange.ts';
import { renderWithStores, stubApi } from './testing/render.tsx';
import type { WebSocketLike } from '../transport/stream-socket.ts';

const fuse = vi.hoisted(() => ({ page: false, banner: false }));

vi.mock('../components/alerts/AlertsPage.tsx', async (importOriginal) => {
  const real = await importOriginal<typeof AlertsPageModule>();
  return {
    ...real,
    AlertsPage: () => {
      if (fuse.page) throw new Error('alerts page exploded');
      return <real.AlertsPage />;
    },
  };
});

vi.mock('../components/alerts/AlertCenter.tsx', async (importOriginal) => {
  const real = await importOriginal<typeof AlertCenterModule>();
  return {
    ...real,
    AlertCenter: () => {
      if (fuse.banner) throw new Error('banner exploded');
      return <real.AlertCenter />;
    },
  };
});

class FakeSocket implements WebSocketLike {
  onopen: WebSocketLike['onopen'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  close(): void {}
  open(): void {
    act(() => this.onopen?.(new Event('open')));
  }
  receive(frame: unknown): void {
    act(() => this.onmessage?.({ data: JSON.stringify(frame) } as MessageEvent));
  }
}

function sockets() {
  const made: FakeSocket[] = [];
  const tuning: StreamTuning = {
    createSocket: () => {
      const s = new FakeSocket();
      made.push(s);
      return s;
    },
    random: () => 0,
  };
  return { made, tuning };
}

describe('App', () => {
  it('says "Connecting…" before the first connection, and nothing is live until the proxy clock is known', async () => {
    stubApi({ accounts: [accountInfo('a', 'fakex', 'Alpha')] });
    const { made, tuning } = sockets();
    const h = renderWithStores(<App streamUrl="ws://test/api/stream" streamTuning={tuning} />, {
      offline: true,
      clockUnknown: true,
    });
    const card = await screen.findByTestId('account-card');
    expect(card).toHaveAttribute('data-freshness', 'starting');
    expect(within(card).getByTestId('freshness')).toHaveTextContent(/^Connecting to Margin Watch…$/);

    made[0]?.open();
    made[0]?.receive(h.proxy.wire(riskFrame('a', '1.75', Date.now())));
    act(() => h.stores.flushAll());
    expect(within(card).getByTestId('level')).toHaveTextContent('1.75');
    expect(card).toHaveAttribute('data-freshness', 'starting');
    expect(within(card).getByTestId('freshness')).toHaveTextContent(
      /^Connecting to Margin Watch… \(checking its clock\)$/,
    );
    expect(within(card).getByTestId('figures')).toHaveAttribute('data-live', 'false');

    made[0]?.receive({ type: 'ping', at: Date.now() });
    expect(card).toHaveAttribute('data-freshness', 'live');
  });

  it('clears a failed page when the user navigates away', async () => {
    stubApi({ accounts: [] });
    const { tuning } = sockets();
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    fuse.page = true;
    const h = renderWithStores(<App streamUrl="ws://test/api/stream" streamTuning={tuning} />, {
      path: '/alerts',
    });
    expect(await screen.findByText('This page failed: alerts page exploded')).toBeInTheDocument();
    fuse.page = false;
    fireEvent.click(within(screen.getByRole('navigation', { name: 'Sections' })).getByText('Accounts'));
    expect(h.location.history.at(-1)).toBe('/');
    expect(await screen.findByText('No account is connected yet.')).toBeInTheDocument();
    expect(screen.queryByText(/This page failed/)).toBeNull();
    spy.mockRestore();
  });

  it('keeps the page when the alert banner fails', async () => {
    stubApi({ accounts: [] });
    const { tuning } = sockets();
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    fuse.banner = true;
    renderWithStores(<App streamUrl="ws://test/api/stream" streamTuning={tuning} />);
    expect(await screen.findByTestId('part-error')).toHaveTextContent(
      'The alert banner failed: banner exploded',
    );
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Margin Watch');
    expect(await screen.findByText('No account is connected yet.')).toBeInTheDocument();
    fuse.banner = false;
    spy.mockRestore();
  });
});
