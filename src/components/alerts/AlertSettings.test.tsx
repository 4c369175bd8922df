// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { renderWithStores } from '../../app/testing/render.tsx';
import { alertPrefs } from '../../hooks/useAlerts.ts';
import { NotificationToggles, RulesSettings, WebhookList } from './AlertSettings.tsx';
import type { RuleSettings, RulesView, WebhookStatus } from '../../contract/alerts.ts';

const DEFAULTS: RuleSettings = {
  zoneWorse: { enabled: true },
  cushionBelow: { enabled: true, percent: '20' },
  fastFall: { enabled: true, percent: '10', minutes: 5 },
  stale: { enabled: true, seconds: null },
  authFailure: { enabled: true },
  hysteresisPercent: '2',
  cooldownMinutes: 10,
};

const VIEW: RulesView = {
  builtin: DEFAULTS,
  defaults: DEFAULTS,
  accounts: [
    { id: 'bitso-demo', exchange: 'bitso', label: 'Bitso (demo)', settings: DEFAULTS, overridden: false },
    {
      id: 'valr-demo',
      exchange: 'valr',
      label: 'VALR (demo)',
      settings: { ...DEFAULTS, stale: { enabled: true, seconds: 30 } },
      overridden: true,
    },
  ],
  config: {},
  overrides: {},
};

interface Sent {
  method: string;
  body: unknown;
}

function stubApi(options: { putStatus?: number; webhooks?: WebhookStatus[] } = {}) {
  const sent: Sent[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      'http://x',
    );
    const json = (status: number, body: unknown) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (url.pathname === '/api/alerts/rules') {
      if (init?.method === 'PUT') {
        sent.push({ method: 'PUT', body: JSON.parse(typeof init.body === 'string' ? init.body : 'null') });
        if (options.putStatus) {
          return json(options.putStatus, { error: 'defaults.x: nope' });
        }
        return json(200, {
          ...VIEW,
          defaults: { ...DEFAULTS, cushionBelow: { enabled: true, percent: '25' } },
        });
      }
      return json(200, VIEW);
    }
    if (url.pathname === '/api/alerts/webhooks') return json(200, options.webhooks ?? []);
    return json(404, {});
  });
  vi.stubGlobal('fetch', fetchMock);
  return sent;
}

beforeEach(() => {
  alertPrefs.setState({ notifications: false, sound: false });
  localStorage.clear();
});

describe('NotificationToggles', () => {
  function stubNotification(answer: NotificationPermission) {
    const initial: { permission: NotificationPermission } = { permission: 'default' };
    const api = Object.assign(function Notification() {}, { ...initial, requestPermission: vi.fn() });
    api.requestPermission.mockImplementation(async () => {
      api.permission = answer;
      return answer;
    });
    vi.stubGlobal('Notification', api);
    return api;
  }

  it('asks for permission only when the user turns notifications on', async () => {
    const api = stubNotification('granted');
    renderWithStores(<NotificationToggles />);
    expect(api.requestPermission).not.toHaveBeenCalled();
    const box = screen.getByTestId('toggle-notifications');
    expect(box).not.toBeChecked();
    fireEvent.click(box);
    await waitFor(() => expect(box).toBeChecked());
    expect(api.requestPermission).toHaveBeenCalledTimes(1);
    expect(JSON.parse(localStorage.getItem('margin-watch.alert-prefs') ?? '{}')).toEqual({
      notifications: true,
      sound: false,
    });
  });

  it('explains a refusal and leaves notifications off', async () => {
    stubNotification('denied');
    renderWithStores(<NotificationToggles />);
    fireEvent.click(screen.getByTestId('toggle-notifications'));
    expect(await screen.findByRole('status')).toHaveTextContent(/blocked for this site/);
    expect(screen.getByTestId('toggle-notifications')).not.toBeChecked();
    expect(alertPrefs.getState().notifications).toBe(false);
  });

  it('keeps sound off until turned on', () => {
    vi.stubGlobal('AudioContext', undefined);
    renderWithStores(<NotificationToggles />);
    const sound = screen.getByTestId('toggle-sound');
    expect(sound).not.toBeChecked();
    fireEvent.click(sound);
    expect(alertPrefs.getState().sound).toBe(true);
    expect(screen.getByRole('status')).toHaveTextContent('This browser cannot play sounds.');
  });
});

describe('RulesSettings', () => {
  it('saves the defaults as a PUT of the whole settings', async () => {
    const sent = stubApi();
    renderWithStores(<RulesSettings />);
    const input = await screen.findByLabelText('Cushion threshold');
    expect(input).toHaveValue('20');
    fireEvent.change(input, { target: { value: '25' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
    expect(sent).toEqual([
      { method: 'PUT', body: { defaults: { ...DEFAULTS, cushionBelow: { enabled: true, percent: '25' } } } },
    ]);
    expect(screen.getByLabelText('Cushion threshold')).toHaveValue('25');
  });

  it('keeps the form after saving and moves focus to the "Saved" status', async () => {
    stubApi();
    renderWithStores(<RulesSettings />);
    const input = await screen.findByLabelText('Cushion threshold');
    fireEvent.change(input, { target: { value: '25' } });
    const saveButton = screen.getByRole('button', { name: 'Save rules' });
    saveButton.focus();
    fireEvent.click(saveButton);
    const saved = await screen.findByText('Saved.');
    expect(saved).toHaveAttribute('role', 'status');
    expect(document.activeElement).toBe(saved);
    // The same form, not a new one built from the answer.
    expect(screen.getByLabelText('Cushion threshold')).toBe(input);
  });

  it('moves focus to the status when "Use the defaults for this account" goes away', async () => {
    stubApi();
    renderWithStores(<RulesSettings />);
    fireEvent.change(await screen.findByLabelText('Settings for'), { target: { value: 'valr-demo' } });
    const reset = screen.getByRole('button', { name: 'Use the defaults for this account' });
    reset.focus();
    fireEvent.click(reset);
    const saved = await screen.findByText('Saved: VALR (demo) now uses the defaults.');
    expect(document.activeElement).toBe(saved);
  });

  it('edits one account, and can drop its own settings', async () => {
    const sent = stubApi();
    renderWithStores(<RulesSettings />);
    fireEvent.change(await screen.findByLabelText('Settings for'), { target: { value: 'valr-demo' } });
    expect(screen.getByLabelText('for longer than')).toHaveValue('30');
    fireEvent.change(screen.getByLabelText('for longer than'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]?.body).toEqual({
      accounts: { 'valr-demo': { ...DEFAULTS, stale: { enabled: true, seconds: null } } },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Use the defaults for this account' }));
    await waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]?.body).toEqual({ accounts: { 'valr-demo': null } });
  });

  it('shows a field problem without sending, and the proxy message when it refuses', async () => {
    const sent = stubApi({ putStatus: 400 });
    renderWithStores(<RulesSettings />);
    const minutes = await screen.findByLabelText('within');
    fireEvent.change(minutes, { target: { value: 'five' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    expect(minutes).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('Enter whole minutes')).toBeInTheDocument();
    expect(sent).toEqual([]);
    fireEvent.change(minutes, { target: { value: '5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    expect(await screen.findByText('Not saved: HTTP 400: defaults.x: nope')).toBeInTheDocument();
  });
});

describe('WebhookList', () => {
  it('shows each webhook by scheme and host with its state and last error', async () => {
    stubApi({
      webhooks: [
        {
          index: 0,
          target: 'https://hooks.slack.com',
          format: 'slack',
          state: 'failing',
          lastError: 'HTTP 404',
          lastAttemptAt: 1,
          lastSuccessAt: null,
          delivered: 0,
          failed: 2,
          queued: 0,
        },
      ],
    });
    renderWithStores(<WebhookList />);
    const item = await screen.findByTestId('webhook');
    expect(item).toHaveAttribute('data-state', 'failing');
    expect(within(item).getByText('Failing')).toBeInTheDocument();
    expect(within(item).getByText('https://hooks.slack.com')).toBeInTheDocument();
    expect(within(item).getByText('HTTP 404')).toBeInTheDocument();
  });

  it('says how to add webhooks when there are none', async () => {
    stubApi();
    renderWithStores(<WebhookList />);
    expect(await screen.findByText(/No webhooks/)).toBeInTheDocument();
  });
});
