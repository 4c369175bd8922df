import { describe, expect, it } from 'vitest';
import { ALERT_RULE_IDS, MAX_DATE_MS, RULE_WORDS, alertFrameSchema, alertSchema } from './alerts.ts';
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
