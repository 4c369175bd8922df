import { describe, expect, it } from 'vitest';
import {
  ALERT_RULE_IDS,
  MAX_DATE_MS,
  RULE_WORDS,
  alertFrameSchema,
  alertSchema,
  rulesViewSchema,
  type RuleSettings,
  type RulesViewDto,
} from './alerts.ts';
import { makeAlert } from './testing/alerts.ts';

describe('alertSchema', () => {
  it.each([
    ['a whole ms epoch', 1_763_700_000_000],
    ['the epoch', 0],
    ['the last moment a Date holds', MAX_DATE_MS],
  ])('accepts %s as `at`', (_name, at) => {
    const parsed = alertSchema.parse(makeAlert(1, at));
    expect(new Date(parsed.at).toISOString()).toMatch(/^[+-]?\d{4,6}-\d\d-\d\dT/);
  });

  it.each([
    ['a fraction of a ms', 1.5],
    ['past the Date range', MAX_DATE_MS + 1],
    ['far past it', 1e20],
    ['not a number', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('rejects %s as `at` (a Date could not print it)', (_name, at) => {
    const result = alertFrameSchema.safeParse({ type: 'alert', alert: makeAlert(1, at) });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['alert', 'at']);
  });
});

describe('alertFrameSchema', () => {
  it('carries a move-below alert, the last rule in the list', () => {
    expect(ALERT_RULE_IDS.at(-1)).toBe('move-below');
    const alert = { ...makeAlert(1, 1000), rule: 'move-below' };
    expect(alertFrameSchema.parse({ type: 'alert', alert }).alert.rule).toBe('move-below');
    expect(RULE_WORDS['move-below']).toEqual({ name: 'Liquidation within a small move', short: 'Move' });
  });

  it('accepts an alert frame and refuses anything else', () => {
    expect(alertFrameSchema.safeParse({ type: 'alert', alert: makeAlert(1, 1000) }).success).toBe(true);
    expect(alertFrameSchema.safeParse({ type: 'alert', alert: { id: 'x' } }).success).toBe(false);
    expect(alertFrameSchema.safeParse({ type: 'status' }).success).toBe(false);
  });
});

describe('rulesViewSchema', () => {
  const settings: RuleSettings = {
    zoneWorse: { enabled: true },
    cushionBelow: { enabled: true, percent: '20' },
    fastFall: { enabled: true, percent: '10', minutes: 5 },
    stale: { enabled: true, seconds: null },
    authFailure: { enabled: true },
    moveBelow: { enabled: true, percent: '15' },
    hysteresisPercent: '2',
    cooldownMinutes: 10,
  };
  const account = { id: 'a', exchange: 'valr', label: 'VALR', settings, overridden: false };
  const view = (accounts: RulesViewDto['accounts']): RulesViewDto => ({
    builtin: settings,
    defaults: settings,
    accounts,
    config: {},
    overrides: {},
  });

  it("carries whether each account's level can be tied to prices, and leaves it out when the proxy does not say", () => {
    const parsed = rulesViewSchema.parse(
      view([
        { ...account, priceMoves: false },
        { ...account, id: 'b', exchange: 'bitso', priceMoves: true },
        { ...account, id: 'c' },
      ]),
    );
    expect(parsed.accounts.map((a) => a.priceMoves)).toEqual([false, true, undefined]);
  });

  it('refuses a priceMoves that is not a boolean', () => {
    const result = rulesViewSchema.safeParse(view([{ ...account, priceMoves: 'no' as unknown as boolean }]));
    expect(result.error?.issues[0]?.path).toEqual(['accounts', 0, 'priceMoves']);
  });
});
