// @vitest-environment jsdom
import { act, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accountInfo, riskFrame } from '../app/testing/fake-exchange.ts';
import { renderWithStores } from '../app/testing/render.tsx';
import { connectionEvents } from '../stores/connection-store.ts';
import {
  ANNOUNCE_INTERVAL_MS,
  StatusAnnouncer,
  ThrottledAnnouncer,
  statusChanges,
  type StatusView,
} from './StatusAnnouncer.tsx';

afterEach(() => {
  vi.useRealTimers();
});

const labels = new Map([
  ['v', 'VALR'],
  ['b', 'Bitso'],
]);

function view(connection: StatusView['connection'], kinds: StatusView['kinds']): StatusView {
  return { connection, kinds };
}

describe('statusChanges', () => {
  it.each<[string, StatusView | null, StatusView, [string, string][]]>([
    ['nothing on the first view', null, view('up', { v: 'stale' }), []],
    ['stale', view('up', { v: 'live' }), view('up', { v: 'stale' }), [['v', 'VALR: figures are stale']]],
    [
      'authentication failed',
      view('up', { b: 'live' }),
      view('up', { b: 'auth_failed' }),
      [['b', 'Bitso: authentication failed']],
    ],
    [
      'reconnecting',
      view('up', { v: 'live' }),
      view('up', { v: 'reconnecting' }),
      [['v', 'VALR: reconnecting to the exchange']],
    ],
    ['back live', view('up', { v: 'proxy-stale' }), view('up', { v: 'live' }), [['v', 'VALR: live again']]],
    ['first figures are not news', view('up', { v: 'waiting' }), view('up', { v: 'live' }), []],
    ['the clock becoming known is not news', view('up', { v: 'starting' }), view('up', { v: 'live' }), []],
    [
      'the connection lost (once, not per account)',
      view('up', { v: 'live', b: 'live' }),
      view('down', { v: 'offline', b: 'offline' }),
      [['connection', 'Connection to Margin Watch lost; retrying']],
    ],
    [
      'the connection back',
      view('down', { v: 'offline' }),
      view('up', { v: 'live' }),
      [['connection', 'Connected to Margin Watch again']],
    ],
    ['the first connection is not news', view('starting', { v: 'starting' }), view('up', { v: 'live' }), []],
  ])('%s', (_name, before, after, expected) => {
    expect(statusChanges(before, after, labels)).toEqual(expected);
  });
});

describe('ThrottledAnnouncer', () => {
  it('says the first at once, then at most once per interval, latest word per key', () => {
    vi.useFakeTimers();
    const said: string[] = [];
    const a = new ThrottledAnnouncer((t) => said.push(t));
    a.push('v', 'VALR: figures are stale');
    vi.advanceTimersByTime(0);
    expect(said).toEqual(['VALR: figures are stale.']);
    a.push('b', 'Bitso: reconnecting to the exchange');
    a.push('v', 'VALR: live again');
    a.push('b', 'Bitso: live again');
    vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS - 1);
    expect(said).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(said).toEqual(['VALR: figures are stale.', 'VALR: live again. Bitso: live again.']);
    a.dispose();
  });
});

describe('StatusAnnouncer', () => {
  it('announces politely when an account goes stale and when the connection is lost', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const accounts = [accountInfo('v', 'fakex', 'VALR')];
    const h = renderWithStores(<StatusAnnouncer accounts={accounts} />, { accounts });
    const region = screen.getByTestId('status-announcer');
    expect(region).toHaveAttribute('aria-live', 'polite');
    expect(region).toHaveClass('sr-only');
    h.send(riskFrame('v', '2', Date.now()));
    h.send({ type: 'status', accountId: 'v', state: 'auth_failed', detail: 'HTTP 401', at: Date.now() });
    act(() => void vi.advanceTimersByTime(0));
    expect(region).toHaveTextContent('VALR: authentication failed.');
    act(() =>
      connectionEvents.socketChanged(h.stores.connection, { phase: 'waiting', attempt: 1, reason: 'closed' }),
    );
    act(() => void vi.advanceTimersByTime(ANNOUNCE_INTERVAL_MS));
    expect(region).toHaveTextContent('Connection to Margin Watch lost; retrying.');
  });
});
