// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { renderWithStores } from '../../app/testing/render.tsx';
import {
  AlertStoresProvider,
  createAlertStores,
  type AlertStores,
} from '../../hooks/alert-stores-context.tsx';
import { DISMISSED_KEY } from '../../stores/alert-feed.ts';
import { AlertCenter } from './AlertCenter.tsx';
import type { Alert } from '../../contract/alerts.ts';
import { makeAlert } from '../../contract/testing/alerts.ts';

function stubAlerts(open: Alert[]) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      'http://x',
    );
    const body = url.pathname === '/api/alerts' ? { alerts: open, nextBefore: null, open } : [];
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

let alerts: AlertStores;

/** An alert arriving on the stream. */
function live(alert: Alert) {
  act(() => alerts.feed.received(alert));
}

function renderCenter() {
  return renderWithStores(
    <AlertStoresProvider stores={alerts}>
      <AlertCenter />
    </AlertStoresProvider>,
  );
}

beforeEach(() => {
  sessionStorage.clear();
  localStorage.clear();
  alerts = createAlertStores();
});

describe('AlertBanner', () => {
  it('shows the proxy open alerts, then live ones as they arrive', async () => {
    const fetchMock = stubAlerts([
      makeAlert(1, Date.now() - 5000, { message: 'Bitso (demo): entered Liquidation' }),
    ]);
    renderCenter();
    const banner = screen.getByTestId('alert-banner');
    expect(await within(banner).findByText(/entered Liquidation/)).toBeInTheDocument();
    expect(within(banner).getByText('Worse risk zone')).toBeInTheDocument();

    live(
      makeAlert(2, Date.now(), { rule: 'stale', message: 'Bitso (demo): no data for 61 s', zone: 'safe' }),
    );
    expect(
      within(banner)
        .getAllByTestId('alert-banner-item')
        .map((li) => li.dataset.rule),
    ).toEqual(['stale', 'zone-worse']);
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2)); // the history is refreshed
  });

  it('announces only the newest live alert’s words, not the banner and its buttons', async () => {
    stubAlerts([makeAlert(1, Date.now() - 5000, { message: 'Bitso (demo): entered Liquidation' })]);
    renderCenter();
    await screen.findByTestId('alert-banner-item');
    // The one live region is the announcement; the banner itself is not one.
    const region = screen.getByRole('alert');
    expect(region).toHaveAttribute('data-testid', 'alert-announcement');
    expect(region).toHaveClass('sr-only');
    expect(region).toBeEmptyDOMElement();
    expect(screen.getByTestId('alert-banner')).not.toHaveAttribute('role');
    expect(screen.getByTestId('alert-banner')).not.toHaveAttribute('aria-live');

    live(
      makeAlert(2, Date.now(), { rule: 'stale', message: 'Bitso (demo): no data for 61 s', zone: 'safe' }),
    );
    expect(region).toHaveTextContent(/^Stale data: Bitso \(demo\): no data for 61 s$/);
    live(makeAlert(3, Date.now() + 1, { message: 'VALR (demo): entered Caution' }));
    expect(region).toHaveTextContent(/^Worse risk zone: VALR \(demo\): entered Caution$/);
    expect(within(region).queryByRole('button')).toBeNull();
  });

  it('remembers dismissals for the tab’s session (a reload does not bring them back)', async () => {
    stubAlerts([makeAlert(1, 1000), makeAlert(2, 2000, { rule: 'stale' })]);
    const { unmount } = renderCenter();
    await screen.findAllByTestId('alert-banner-item');
    fireEvent.click(screen.getAllByRole('button', { name: /^Dismiss: / })[0] ?? document.body);
    expect(screen.getAllByTestId('alert-banner-item')).toHaveLength(1);
    unmount();
    // As a reload would: a new feed starts again from sessionStorage.
    alerts = createAlertStores();
    renderCenter();
    await screen.findAllByTestId('alert-banner-item');
    expect(screen.getAllByTestId('alert-banner-item').map((li) => li.dataset.rule)).toEqual(['zone-worse']);
    expect(JSON.parse(sessionStorage.getItem(DISMISSED_KEY) ?? '[]')).toEqual(['a2']);
  });

  it('replaces a fired alert by its recovered, once', async () => {
    stubAlerts([makeAlert(1, 1000)]);
    renderCenter();
    await screen.findByTestId('alert-banner-item');
    live(makeAlert(2, 2000, { kind: 'recovered', zone: 'safe', message: 'Bitso (demo): back to Safe' }));
    const items = screen.getAllByTestId('alert-banner-item');
    expect(items.map((li) => li.dataset.kind)).toEqual(['recovered']);
    expect(items[0]).toHaveTextContent('Recovered: Worse risk zone Bitso (demo): back to Safe');
  });

  it('dismisses one alert with its button and all with Escape', async () => {
    stubAlerts([
      makeAlert(1, 1000),
      makeAlert(2, 2000, { rule: 'stale' }),
      makeAlert(3, 3000, { rule: 'fast-fall' }),
    ]);
    renderCenter();
    await screen.findAllByTestId('alert-banner-item');
    const button = screen.getAllByRole('button', { name: /^Dismiss: / })[0];
    if (!button) throw new Error('no dismiss button');
    button.focus();
    fireEvent.click(button);
    expect(screen.getAllByTestId('alert-banner-item')).toHaveLength(2);
    const next = screen.getAllByRole('button', { name: /^Dismiss: / })[0];
    fireEvent.keyDown(next ?? document.body, { key: 'Escape' });
    expect(screen.queryAllByTestId('alert-banner-item')).toEqual([]);
    expect(screen.queryByRole('region', { name: 'Alerts' })).toBeNull();
  });

  it('shows a browser notification only when turned on and allowed; no sound by default', async () => {
    stubAlerts([]);
    const shown: [string, NotificationOptions | undefined][] = [];
    const audio = vi.fn();
    vi.stubGlobal(
      'Notification',
      Object.assign(
        function Notification(title: string, options?: NotificationOptions) {
          shown.push([title, options]);
        },
        { permission: 'granted', requestPermission: vi.fn() },
      ),
    );
    vi.stubGlobal('AudioContext', audio);
    renderCenter();
    live(makeAlert(1, 1000));
    expect(shown).toEqual([]);
    act(() => alerts.prefs.state.setState({ notifications: true }));
    live(makeAlert(2, 2000, { rule: 'cushion-below', message: 'Bitso (demo): cushion 12 % is below 20 %' }));
    expect(shown).toEqual([
      ['Margin Watch: Low cushion', { body: 'Bitso (demo): cushion 12 % is below 20 %', tag: 'a2' }],
    ]);
    expect(audio).not.toHaveBeenCalled();
  });

  it('beeps for a fired alert when sound is on', () => {
    stubAlerts([]);
    const started: number[] = [];
    class FakeAudioContext {
      state = 'running';
      currentTime = 0;
      destination = {};
      createOscillator() {
        return {
          type: '',
          frequency: { value: 0 },
          connect: (node: unknown) => node,
          start: (t: number) => started.push(t),
          stop: () => undefined,
        };
      }
      createGain() {
        const node = {
          gain: { setValueAtTime: () => undefined, exponentialRampToValueAtTime: () => undefined },
          connect: (n: unknown) => n,
        };
        return node;
      }
    }
    vi.stubGlobal('AudioContext', FakeAudioContext);
    alerts.prefs.state.setState({ sound: true });
    renderCenter();
    live(makeAlert(1, 1000, { kind: 'recovered' }));
    expect(started).toEqual([]);
    live(makeAlert(2, 2000));
    expect(started).toEqual([0, 0.22]);
  });
});
