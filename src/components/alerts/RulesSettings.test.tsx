// @vitest-environment jsdom
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderWithStores } from '../../app/testing/render.tsx';
import type { RuleSettings, RulesView } from '../../contract/alerts.ts';
import { RulesSettings } from './RulesSettings.tsx';

const DEFAULTS: RuleSettings = {
  zoneWorse: { enabled: true },
  cushionBelow: { enabled: true, percent: '20' },
  fastFall: { enabled: true, percent: '10', minutes: 5 },
  stale: { enabled: true, seconds: null },
  authFailure: { enabled: true },
  moveBelow: { enabled: true, percent: '15' },
  hysteresisPercent: '2',
  cooldownMinutes: 10,
};

const VIEW: RulesView = {
  builtin: DEFAULTS,
  defaults: DEFAULTS,
  accounts: [
    {
      id: 'bitso-demo',
      exchange: 'bitso',
      label: 'Bitso (demo)',
      settings: DEFAULTS,
      overridden: false,
      priceMoves: true,
    },
    {
      id: 'valr-demo',
      exchange: 'valr',
      label: 'VALR (demo)',
      settings: { ...DEFAULTS, stale: { enabled: true, seconds: 30 } },
      overridden: true,
      priceMoves: false,
    },
    {
      id: 'b2prime-demo',
      exchange: 'b2prime',
      label: 'B2Prime (demo)',
      settings: DEFAULTS,
      overridden: false,
      priceMoves: false,
    },
    {
      id: 'valr-second',
      exchange: 'valr',
      label: 'VALR second',
      settings: DEFAULTS,
      overridden: false,
      priceMoves: false,
    },
  ],
  config: {},
  overrides: {},
};

interface Sent {
  method: string;
  body: unknown;
}

/** GET /api/accounts: only the exchanges' display names matter here. */
const ACCOUNTS = VIEW.accounts.map((a) => ({
  id: a.id,
  exchange: a.exchange,
  exchangeName: { bitso: 'Bitso', valr: 'VALR', b2prime: 'B2Prime' }[a.exchange],
  label: a.label,
}));

function stubApi(options: { putStatus?: number; view?: RulesView } = {}) {
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
      return json(200, options.view ?? VIEW);
    }
    if (url.pathname === '/api/accounts') return json(200, ACCOUNTS);
    return json(404, {});
  });
  vi.stubGlobal('fetch', fetchMock);
  return sent;
}

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

  it('edits the move-below rule: a percent input described by its help text, and its checkbox', async () => {
    const sent = stubApi();
    renderWithStores(<RulesSettings />);
    const input = await screen.findByLabelText('Move smaller than');
    expect(input).toHaveValue('15');
    expect(input).toHaveAttribute('inputmode', 'decimal');
    await waitFor(() =>
      expect(input).toHaveAccessibleDescription(
        "Never fires for VALR and B2Prime: their margin level cannot be tied to prices. Alerts when a price move of less than this size (a fall or a rise), in any one currency or in the whole market, would bring the account to its liquidation line. Estimated from balances and prices, where the exchange's figures allow it.",
      ),
    );
    const toggle = screen.getByRole('checkbox', { name: 'Liquidation within a small price move' });
    expect(toggle).toBeChecked();

    fireEvent.change(input, { target: { value: 'a lot' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveAccessibleDescription(
      /^Enter a percentage as a plain number, e.g. 15 Never fires for VALR and B2Prime: their margin level cannot be tied to prices. Alerts when a price move/,
    );
    expect(sent).toEqual([]);

    fireEvent.change(input, { target: { value: '12.5' } });
    fireEvent.click(toggle);
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]?.body).toEqual({
      defaults: { ...DEFAULTS, moveBelow: { enabled: false, percent: '12.5' } },
    });
  });

  it('shows a field problem without sending, and the proxy message when it refuses', async () => {
    const sent = stubApi({ putStatus: 400 });
    renderWithStores(<RulesSettings />);
    const minutes = await screen.findByLabelText('within');
    fireEvent.change(minutes, { target: { value: 'five' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    expect(minutes).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('Enter whole minutes from 1 to 1440')).toBeInTheDocument();
    expect(document.activeElement).toBe(minutes);
    expect(sent).toEqual([]);
    fireEvent.change(minutes, { target: { value: '5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    expect(await screen.findByText('Not saved: HTTP 400: defaults.x: nope')).toBeInTheDocument();
  });

  it('refuses a signed move in words a trader understands, before anything is sent', async () => {
    const sent = stubApi();
    renderWithStores(<RulesSettings />);
    const input = await screen.findByLabelText('Move smaller than');
    for (const [value, problem] of [
      ['-15', 'Write the size of the move without a sign, e.g. 15 (falls and rises both count)'],
      ['0', 'Enter a move above 0 and at most 100 % (0 would never fire), e.g. 15'],
      ['150', 'Enter a move above 0 and at most 100 %, e.g. 15'],
      ['5,5', 'Use a point for decimals: 5.5'],
    ] as const) {
      fireEvent.change(input, { target: { value } });
      fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
      expect(screen.getByText(problem)).toBeInTheDocument();
      expect(input).toHaveAttribute('aria-invalid', 'true');
      expect(document.activeElement).toBe(input);
    }
    fireEvent.change(screen.getByLabelText('Clear only after recovering by'), { target: { value: '60' } });
    fireEvent.change(input, { target: { value: '5.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    expect(screen.getByText('Enter a recovery margin from 0 to 50 %, e.g. 2')).toBeInTheDocument();
    expect(sent).toEqual([]);
  });

  it('says next to the move rule which exchanges it never fires for, and for which account', async () => {
    stubApi();
    renderWithStores(<RulesSettings />);
    // The defaults: each exchange named once, with the name the proxy gives it.
    await waitFor(() =>
      expect(screen.getByTestId('rule-note')).toHaveTextContent(
        'Never fires for VALR and B2Prime: their margin level cannot be tied to prices.',
      ),
    );
    const select = screen.getByLabelText('Settings for');
    fireEvent.change(select, { target: { value: 'b2prime-demo' } });
    expect(screen.getByTestId('rule-note')).toHaveTextContent(
      "Never fires for this account: B2Prime's margin level cannot be tied to prices.",
    );
    expect(screen.getByLabelText('Move smaller than')).toHaveAccessibleDescription(
      /^Never fires for this account: B2Prime's margin level/,
    );
    fireEvent.change(select, { target: { value: 'bitso-demo' } });
    expect(screen.queryByTestId('rule-note')).toBeNull();
  });

  it('says nothing of the sort when every account can be estimated, or when the proxy does not say', async () => {
    const { accounts } = VIEW;
    const view: RulesView = {
      ...VIEW,
      accounts: [
        { ...accounts[0]!, priceMoves: true },
        { id: 'x', exchange: 'valr', label: 'X', settings: DEFAULTS, overridden: false },
      ],
    };
    stubApi({ view });
    renderWithStores(<RulesSettings />);
    await screen.findByLabelText('Move smaller than');
    expect(screen.queryByTestId('rule-note')).toBeNull();
    fireEvent.change(screen.getByLabelText('Settings for'), { target: { value: 'x' } });
    expect(screen.queryByTestId('rule-note')).toBeNull();
  });
});
