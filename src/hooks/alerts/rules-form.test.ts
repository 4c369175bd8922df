import { describe, expect, it } from 'vitest';
import type { RuleSettings } from '../../contract/alerts.ts';
import { fromForm, toForm } from './rules-form.ts';

const SETTINGS: RuleSettings = {
  zoneWorse: { enabled: true },
  cushionBelow: { enabled: true, percent: '20' },
  fastFall: { enabled: false, percent: '12.5', minutes: 5 },
  stale: { enabled: true, seconds: null },
  authFailure: { enabled: true },
  moveBelow: { enabled: false, percent: '7.5' },
  hysteresisPercent: '2',
  cooldownMinutes: 10,
};

describe('rules form', () => {
  it('round-trips settings, keeping percentages as written', () => {
    expect(fromForm(toForm(SETTINGS))).toEqual({ settings: SETTINGS });
    expect(fromForm({ ...toForm(SETTINGS), staleSeconds: ' 45 ' })).toEqual({
      settings: { ...SETTINGS, stale: { enabled: true, seconds: 45 } },
    });
  });

  it.each([
    ['cushionPercent', '20%', 'Enter a percentage such as 20'],
    ['fallPercent', '', 'Enter a percentage such as 10'],
    ['fallMinutes', '2.5', 'Enter whole minutes'],
    ['staleSeconds', 'soon', 'Enter whole seconds, or leave empty for automatic'],
    ['movePercent', ' ', 'Enter a percentage such as 15'],
    ['movePercent', '15 %', 'Enter a percentage such as 15'],
    ['hysteresisPercent', '1e1', 'Enter a percentage such as 2'],
    ['cooldownMinutes', '-1', 'Enter whole minutes (0 for none)'],
  ] as const)('names the field %s when it is %j', (field, value, problem) => {
    expect(fromForm({ ...toForm(SETTINGS), [field]: value })).toEqual({ field, problem });
  });
});
