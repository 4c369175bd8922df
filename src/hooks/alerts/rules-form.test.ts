import { describe, expect, it } from 'vitest';
import type { RuleSettings } from '../../contract/alerts.ts';
import { fromForm, toForm, type FormValues } from './rules-form.ts';

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

const SIGN = (size: string) =>
  `Write the size of the move without a sign, e.g. ${size} (falls and rises both count)`;

describe('rules form', () => {
  it('round-trips settings, keeping percentages as written', () => {
    expect(fromForm(toForm(SETTINGS))).toEqual({ settings: SETTINGS });
    expect(fromForm({ ...toForm(SETTINGS), staleSeconds: ' 45 ' })).toEqual({
      settings: { ...SETTINGS, stale: { enabled: true, seconds: 45 } },
    });
  });

  it.each([
    ['movePercent', ' 100 ', { moveBelow: { enabled: false, percent: '100' } }],
    ['movePercent', '0.5', { moveBelow: { enabled: false, percent: '0.5' } }],
    ['cushionPercent', '100', { cushionBelow: { enabled: true, percent: '100' } }],
    ['fallPercent', '.5', { fastFall: { enabled: false, percent: '.5', minutes: 5 } }],
    ['hysteresisPercent', '0', { hysteresisPercent: '0' }],
    ['hysteresisPercent', '50', { hysteresisPercent: '50' }],
    ['fallMinutes', '1440', { fastFall: { enabled: false, percent: '12.5', minutes: 1440 } }],
    ['staleSeconds', '5', { stale: { enabled: true, seconds: 5 } }],
    ['cooldownMinutes', '0', { cooldownMinutes: 0 }],
  ] as const)('accepts %s at %j, the edge of what the proxy takes', (field, value, change) => {
    expect(fromForm({ ...toForm(SETTINGS), [field]: value })).toEqual({
      settings: { ...SETTINGS, ...change },
    });
  });

  it.each<[keyof FormValues, string, string]>([
    // The move is a size: falls and rises alike, so a sign is refused with words saying why.
    ['movePercent', '-15', SIGN('15')],
    ['movePercent', '−12.5 %', SIGN('12.5')],
    ['movePercent', '+15', SIGN('15')],
    ['movePercent', '-abc', SIGN('15')],
    ['movePercent', '0', 'Enter a move above 0 and at most 100 % (0 would never fire), e.g. 15'],
    ['movePercent', '0.00', 'Enter a move above 0 and at most 100 % (0 would never fire), e.g. 15'],
    ['movePercent', '150', 'Enter a move above 0 and at most 100 %, e.g. 15'],
    ['movePercent', '100.01', 'Enter a move above 0 and at most 100 %, e.g. 15'],
    ['movePercent', 'abc', 'Enter a percentage as a plain number, e.g. 15'],
    ['movePercent', '1e1', 'Enter a percentage as a plain number, e.g. 15'],
    ['movePercent', ' ', 'Enter a percentage, e.g. 15'],
    ['movePercent', '15 %', 'Write the number without the % sign: 15'],
    // Decimals with a comma: the same answer in every percent field.
    ['movePercent', '5,5', 'Use a point for decimals: 5.5'],
    ['cushionPercent', '5,5', 'Use a point for decimals: 5.5'],
    ['fallPercent', ',5', 'Use a point for decimals: .5'],
    ['hysteresisPercent', '1,5 %', 'Use a point for decimals: 1.5'],
    ['cushionPercent', '20%', 'Write the number without the % sign: 20'],
    ['cushionPercent', '0', 'Enter a cushion above 0 and at most 100 %, e.g. 20'],
    ['cushionPercent', '-5', 'Enter a cushion above 0 and at most 100 %, e.g. 20'],
    ['cushionPercent', '101', 'Enter a cushion above 0 and at most 100 %, e.g. 20'],
    ['fallPercent', '', 'Enter a percentage, e.g. 10'],
    ['fallPercent', '0', 'Enter a fall above 0 and at most 100 %, e.g. 10'],
    ['fallPercent', '250', 'Enter a fall above 0 and at most 100 %, e.g. 10'],
    ['hysteresisPercent', '1e1', 'Enter a percentage as a plain number, e.g. 2'],
    ['hysteresisPercent', '50.5', 'Enter a recovery margin from 0 to 50 %, e.g. 2'],
    ['hysteresisPercent', '-1', 'Enter a recovery margin from 0 to 50 %, e.g. 2'],
    ['fallMinutes', '2.5', 'Enter whole minutes from 1 to 1440'],
    ['fallMinutes', '0', 'Enter whole minutes from 1 to 1440'],
    ['fallMinutes', '1441', 'Enter whole minutes from 1 to 1440'],
    ['staleSeconds', 'soon', 'Enter whole seconds from 5 to 86400, or leave empty for automatic'],
    ['staleSeconds', '4', 'Enter whole seconds from 5 to 86400, or leave empty for automatic'],
    ['cooldownMinutes', '-1', 'Enter whole minutes from 0 (none) to 1440'],
    ['cooldownMinutes', '1500', 'Enter whole minutes from 0 (none) to 1440'],
  ])('names the field %s when it is %j', (field, value, problem) => {
    expect(fromForm({ ...toForm(SETTINGS), [field]: value })).toEqual({ field, problem });
  });
});
