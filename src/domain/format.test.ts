import { describe, expect, it } from 'vitest';
import { dec } from './decimal.ts';
import {
  formatChosenMove,
  formatDecimal,
  formatDuration,
  formatInUnit,
  formatLevel,
  formatMoveFraction,
  formatPercent,
  levelText,
  unitLabel,
} from './format.ts';

describe('formatDecimal', () => {
  it('groups with the locale and keeps every digit', () => {
    expect(formatDecimal(dec('7134740.15231776'), { locale: 'en-US' })).toBe('7,134,740.15231776');
    expect(formatDecimal(dec('7134740.15231776'), { locale: 'de-DE' })).toBe('7.134.740,15231776');
    expect(formatDecimal(dec('123456789012345678901234567890.5'), { locale: 'en-US' })).toBe(
      '123,456,789,012,345,678,901,234,567,890.5',
    );
  });
  it('never prints exponents or float noise', () => {
    expect(formatDecimal(dec('0.0000001'), { locale: 'en-US' })).toBe('0.0000001');
    expect(formatDecimal(dec('0.1').plus(dec('0.2')), { locale: 'en-US' })).toBe('0.3');
    expect(formatDecimal(dec('1e-7'.replace('1e-7', '0.00000010')), { locale: 'en-US', decimals: 8 })).toBe(
      '0.00000010',
    );
  });
  it('rounds half-even to fixed decimals and pads', () => {
    expect(formatDecimal(dec('2.5'), { decimals: 0, locale: 'en-US' })).toBe('2');
    expect(formatDecimal(dec('1.005'), { decimals: 2, locale: 'en-US' })).toBe('1.00');
    expect(formatDecimal(dec('15'), { decimals: 8, locale: 'en-US' })).toBe('15.00000000');
  });
  it('signs', () => {
    expect(formatDecimal(dec('-1000.5'), { locale: 'en-US' })).toBe('-1,000.5');
    expect(formatDecimal(dec('-0.0001'), { decimals: 2, locale: 'en-US' })).toBe('0.00');
    expect(formatDecimal(dec('26.45'), { locale: 'en-US', signed: true })).toBe('+26.45');
  });
});

describe('formatPercent and formatLevel', () => {
  it('formats a fraction as a percentage', () => {
    expect(formatPercent(dec('0.56'), 1, 'en-US')).toBe('56.0%');
    expect(formatPercent(dec('-0.1'), 1, 'en-US')).toBe('-10.0%');
  });
  it('prints the level with the decimals the exchange wrote', () => {
    expect(formatLevel({ kind: 'value', value: dec('55.70'), text: '55.70' }, { locale: 'en-US' })).toBe(
      '55.70',
    );
    expect(
      formatLevel({ kind: 'value', value: dec('4969.3905'), text: '4969.3905' }, { locale: 'en-US' }),
    ).toBe('4,969.3905');
    expect(formatLevel({ kind: 'no-debt', text: '' }, { locale: 'en-US' })).toBe('no debt');
    // The exchange truncated 4969.39059…; its text is shown, not the value rounded to its decimals.
    expect(
      formatLevel({ kind: 'value', value: dec('4969.3905969'), text: '4969.3905' }, { locale: 'en-US' }),
    ).toBe('4,969.3905');
  });
});

describe('levels and thresholds in percent', () => {
  const percent = { name: 'Margin level', kind: 'percent' } as const;
  const ratio = { name: 'AD ratio', kind: 'ratio' } as const;
  const level = { kind: 'value', value: dec('496939.0596'), text: '496939.05' } as const;
  it('appends " %" to a percent level, grouped, with the exchange\'s digits', () => {
    expect(formatLevel(level, { locale: 'en-US', unit: percent })).toBe('496,939.05 %');
    expect(formatLevel(level, { locale: 'de-DE', unit: percent })).toBe('496.939,05 %');
    expect(formatLevel({ kind: 'no-debt', text: 'no margin in use' }, { unit: percent })).toBe('no debt');
  });
  it('leaves ratios and fractions bare', () => {
    expect(
      formatLevel({ kind: 'value', value: dec('1.5'), text: '1.50' }, { locale: 'en-US', unit: ratio }),
    ).toBe('1.50');
    expect(formatInUnit(dec('1.5'), ratio, 'en-US')).toBe('1.5');
  });
  it('formats thresholds in the unit', () => {
    expect(formatInUnit(dec('100'), percent, 'en-US')).toBe('100 %');
    expect(formatInUnit(dec('1250.5'), percent, 'en-US')).toBe('1,250.5 %');
  });
  it('labels a percent unit with (%)', () => {
    expect(unitLabel(percent)).toBe('Margin level (%)');
    expect(unitLabel(ratio)).toBe('AD ratio');
  });
  it('writes plain level text for messages', () => {
    expect(levelText(level, percent)).toBe('496939.05 %');
    expect(levelText({ kind: 'value', value: dec('1.52'), text: '1.52' }, ratio)).toBe('1.52');
    expect(levelText({ kind: 'no-debt', text: 'no margin in use' }, percent)).toBe('no margin in use');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [-5_000, '0 s'],
    [Number.NaN, '0 s'],
    [450, '450 ms'],
    [999.4, '999 ms'],
    [999.6, '1 s'],
    [1_000, '1 s'],
    [1_499, '1 s'],
    [23_400, '23 s'],
    [59_400, '59 s'],
    [59_600, '1 min'],
    [60_000, '1 min'],
    [90_000, '1 min 30 s'],
    [125_000, '2 min 5 s'],
    [3_600_000, '1 h'],
    [3 * 3_600_000 + 12 * 60_000 + 40_000, '3 h 12 min'],
    [24 * 3_600_000, '1 d'],
    [52 * 3_600_000, '2 d 4 h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

const plainSpaces = (text: string) => text.replace(/\u00a0/g, ' ');

describe('formatMoveFraction', () => {
  it.each([
    ['-0.2345', '−23 %'],
    ['-0.2399', '−23 %'],
    ['-0.1499', '−14 %'],
    ['-0.1', '−10 %'],
    ['0.31', '+31 %'],
    ['0.125', '+12 %'],
    ['-0.09999', '−9.99 %'],
    ['-0.0567', '−5.67 %'],
    ['-0.05679', '−5.67 %'],
    ['-0.056', '−5.6 %'],
    ['-0.05', '−5 %'],
    ['-0.0099', '−0.99 %'],
    ['0.0001', '+0.01 %'],
    ['-0.000099', '−<0.01 %'],
    ['0.000001', '+<0.01 %'],
    ['0', '0 %'],
    ['-0', '0 %'],
    ['-1', '−100 %'],
    ['25', '+2,500 %'],
  ])('%s reads %s (cut toward zero, never rounded up)', (move, words) => {
    const text = formatMoveFraction(dec(move), { locale: 'en-US' });
    expect(plainSpaces(text)).toBe(words);
    // On screen the % stays on the number's line.
    expect(text).toMatch(/\d\u00a0%$/);
  });

  it('writes plain text for messages: no grouping, "." and an ordinary space', () => {
    expect(formatMoveFraction(dec('-0.1899'), { plain: true })).toBe('−18 %');
    expect(formatMoveFraction(dec('-0.0567'), { plain: true })).toBe('−5.67 %');
    expect(formatMoveFraction(dec('25'), { plain: true })).toBe('+2500 %');
    expect(formatMoveFraction(dec('-0.000001'), { plain: true })).toBe('−<0.01 %');
  });

  it("uses the locale's decimal mark on screen", () => {
    expect(plainSpaces(formatMoveFraction(dec('-0.0567'), { locale: 'de-DE' }))).toBe('−5,67 %');
  });
});

describe('formatChosenMove', () => {
  it.each([
    ['-0.125', '−12.5 %'],
    ['-0.1275', '−12.75 %'],
    ['-0.12', '−12 %'],
    ['0.03', '+3 %'],
    ['-0.0025', '−0.25 %'],
    ['-0.9', '−90 %'],
    ['0', '0 %'],
    ['-0', '0 %'],
  ])('%s echoes as %s, neither cut nor rounded', (move, words) => {
    expect(plainSpaces(formatChosenMove(dec(move), { locale: 'en-US' }))).toBe(words);
  });

  it('reads the same as the estimated move only where no digit is cut', () => {
    expect(formatChosenMove(dec('-0.125'))).not.toBe(formatMoveFraction(dec('-0.125')));
    expect(formatChosenMove(dec('-0.05'))).toBe(formatMoveFraction(dec('-0.05')));
  });
});
