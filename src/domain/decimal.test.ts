import { describe, expect, it } from 'vitest';
import { dec, isDecimalText, movePoint, parseDecimal, writtenDecimals } from './decimal.ts';

describe('parseDecimal', () => {
  it.each([
    ['0', '0'],
    ['-0', '0'],
    ['12', '12'],
    ['12.50', '12.5'],
    ['-3.000001', '-3.000001'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['+7', '7'],
    [' 42.1 ', '42.1'],
  ])('reads %j as %s', (text, expected) => {
    expect(parseDecimal(text)?.toFixed()).toBe(expected);
  });
  it.each(['', ' ', 'NaN', 'Infinity', '1e5', '1,234.5', '0x10', '1.2.3', '--1', 'abc'])(
    'rejects %j',
    (text) => {
      expect(parseDecimal(text)).toBeNull();
      expect(isDecimalText(text)).toBe(false);
    },
  );
  it('keeps 30-digit and tiny values exact, without exponents', () => {
    const big = '123456789012345678901234567890.123456789012345678901234567891';
    expect(dec(big).toFixed()).toBe(big);
    expect(dec('0.0000001').toString()).toBe('0.0000001');
    expect(dec('-987654321098765432109876543210').toString()).toBe('-987654321098765432109876543210');
  });
  it('does arithmetic without float noise', () => {
    expect(dec('0.1').plus(dec('0.2')).toString()).toBe('0.3');
    expect(dec('748279.60832069').div(dec('129823.00462234')).toFixed(4)).toBe('5.7638');
  });
  it('counts written decimals', () => {
    expect(writtenDecimals('9.99990000')).toBe(8);
    expect(writtenDecimals('12')).toBe(0);
  });
});

describe('movePoint', () => {
  it.each([
    ['4969.3905', '496939.05'],
    ['1.5', '150'],
    ['0.5', '50'],
    ['2', '200'],
    ['1.500', '150.0'],
    ['0.0012', '0.12'],
    ['0.00001', '0.001'],
    ['-0.25', '-25'],
    ['12345678901234567890.123456789', '1234567890123456789012.3456789'],
  ])('%s → %s (two places: the digits written are kept)', (text, moved) => {
    expect(movePoint(text, 2)).toBe(moved);
  });

  it('leaves a text that is not a plain decimal as it is', () => {
    for (const text of ['no margin in use', '', '1e3', 'NaN', 'Infinity'])
      expect(movePoint(text, 2)).toBe(text);
  });
});
