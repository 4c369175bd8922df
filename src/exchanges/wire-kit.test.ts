import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decimalOf, decimalString, guard, parseWire } from './wire-kit.ts';

describe('decimalString', () => {
  it.each(['0', '-12.50', '0.00000001', '123456789012345678901234567890'])('accepts %j', (t) => {
    expect(decimalString.safeParse(t).success).toBe(true);
  });
  it.each([
    [12.5, 'expected a decimal string, got the number 12.5'],
    ['', 'expected a decimal string, got the string ""'],
    ['NaN', 'expected a decimal string, got the string "NaN"'],
    ['1,234.5', 'expected a decimal string, got the string "1,234.5"'],
    [undefined, 'expected a decimal string, got nothing (field missing)'],
    [null, 'expected a decimal string, got null'],
  ])('rejects %j with a readable message', (input, message) => {
    const r = decimalString.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe(message);
  });
});

describe('parseWire', () => {
  const schema = z.object({ data: z.object({ rows: z.array(z.object({ amount: decimalString })) }) });
  it('names the exchange, channel and the dotted path of the field', () => {
    const r = parseWire(schema, { data: { rows: [{ amount: '1' }, { amount: 2 }] } }, 'demo', 'ch');
    expect(r).toEqual({
      ok: false,
      error: {
        exchange: 'demo',
        channel: 'ch',
        field: 'data.rows[1].amount',
        message: 'expected a decimal string, got the number 2',
      },
    });
  });
  it('reports raw text as a malformed frame', () => {
    const r = parseWire(schema, '{"data":', 'demo', 'ch');
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error.message).toBe('not valid JSON (malformed frame)');
  });
});

describe('decimalOf and guard', () => {
  it('keeps the written decimals', () => {
    const d = decimalOf('100041.50010000');
    expect(d.value.toFixed()).toBe('100041.5001');
    expect(d.decimals).toBe(8);
  });
  it('turns anything thrown into a WireError, even values without a text form', () => {
    const weird: unknown = Object.create(null);
    const out = guard('demo', 'ch', () => {
      throw weird;
    });
    expect(out).toEqual({
      kind: 'error',
      error: {
        exchange: 'demo',
        channel: 'ch',
        field: '(message)',
        message: 'could not be read: an unexpected value',
      },
    });
  });
});
