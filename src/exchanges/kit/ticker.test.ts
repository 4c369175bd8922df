import { describe, expect, it } from 'vitest';
import { isUnlistedStatus, tickerPrice, tickerSchemaError } from './ticker.ts';

describe('ticker helpers', () => {
  it.each([
    [400, true],
    [404, true],
    [422, false],
    [401, false],
    [403, false],
    [408, false],
    [429, false],
    [500, false],
    [503, false],
    [200, false],
  ])('HTTP %i with the venue error body means unlisted: %s', (status, unlisted) => {
    expect(isUnlistedStatus(status)).toBe(unlisted);
  });

  it('a positive price is read exactly, with its field', () => {
    const outcome = tickerPrice('0.00000001', 'last');
    expect(outcome.ok && [outcome.field, outcome.price.toFixed()]).toEqual(['last', '0.00000001']);
  });

  it('zero is refused', () => {
    expect(tickerPrice('0.0', 'last')).toEqual({ ok: false, error: 'last is 0.0, not a usable price' });
  });

  it('a schema problem names the venue, the status when not 200, and the field', () => {
    expect(
      tickerSchemaError('Bitso', 200, { field: 'payload.last', message: 'expected a decimal string' }),
    ).toEqual({
      ok: false,
      error: 'Bitso ticker: payload.last: expected a decimal string',
    });
    expect(tickerSchemaError('VALR', 203, { field: '(message)', message: 'expected an object' })).toEqual({
      ok: false,
      error: 'VALR ticker (HTTP 203): the answer: expected an object',
    });
  });
});
