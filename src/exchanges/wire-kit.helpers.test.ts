// Tests of the schema helpers with readable messages and the last-digit tolerance.
import { describe, expect, it } from 'vitest';
import { dec } from '../domain/decimal.ts';
import { arrayOf, decimalString, objectOf, parseWire, textString, withinLastDigit } from './wire-kit.ts';

function messageOf(
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } },
  value: unknown,
): string | undefined {
  const result = schema.safeParse(value);
  return result.success ? undefined : result.error?.issues[0]?.message;
}

describe('textString', () => {
  it.each([
    ['USDT', undefined],
    ['', 'expected a currency code, got an empty string'],
    [12, 'expected a currency code, got the number 12'],
    [undefined, 'expected a currency code, got nothing (field missing)'],
    [null, 'expected a currency code, got null'],
  ])('%j', (value, message) => {
    expect(messageOf(textString('a currency code'), value)).toBe(message);
  });

  it('may allow the empty string, and defaults to "a string"', () => {
    expect(messageOf(textString('a label', { allowEmpty: true }), '')).toBeUndefined();
    expect(messageOf(textString(), 1)).toBe('expected a string, got the number 1');
  });
});

describe('objectOf and arrayOf', () => {
  const schema = objectOf({
    rows: arrayOf(objectOf({ amount: decimalString }, 'a row'), 'an array of rows'),
  });
  it.each([
    [null, '(message)', 'expected an object, got null'],
    [{ rows: {} }, 'rows', 'expected an array of rows, got object'],
    [{ rows: [[]] }, 'rows[0]', 'expected a row, got an array'],
    [{ rows: [{ amount: 1 }] }, 'rows[0].amount', 'expected a decimal string, got the number 1'],
  ])('%j → %s: %s', (value, field, message) => {
    const parsed = parseWire(schema, value, 'demo', 'ch');
    expect(parsed.ok ? null : [parsed.error.field, parsed.error.message]).toEqual([field, message]);
  });

  it('accepts and drops unknown extra fields', () => {
    const parsed = schema.safeParse({ rows: [{ amount: '1.5', extra: true }], more: 1 });
    expect(parsed.success && parsed.data).toEqual({ rows: [{ amount: '1.5' }] });
  });
});

describe('withinLastDigit', () => {
  it.each([
    ['2.5', '2.5', 1, true],
    ['2.5', '2.6', 1, true],
    ['2.5', '2.61', 1, false],
    ['2.5002', '2.50011', 4, true],
    ['2.5002', '2.50031', 4, false],
    ['100', '99', 0, true],
    ['100', '98', 0, false],
    ['-1.00', '-1.01', 2, true],
  ])('%s vs %s at %i decimals → %s', (a, b, decimals, within) => {
    expect(withinLastDigit(dec(a), dec(b), decimals)).toBe(within);
  });
});
