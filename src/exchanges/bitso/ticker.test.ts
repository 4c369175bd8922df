import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bitsoTicker, parseBitsoTicker } from './ticker.ts';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

describe('Bitso ticker: pair and path', () => {
  it('books are lowercase major_minor under /v3/ticker/', () => {
    const pair = bitsoTicker.pair('BTC', 'USD');
    expect(pair).toBe('btc_usd');
    expect(bitsoTicker.path(pair)).toBe('v3/ticker/?book=btc_usd');
    expect(bitsoTicker.pair('eth', 'mxn')).toBe('eth_mxn');
  });

  it('stays inside the public limit of 60 requests a minute', () => {
    expect(bitsoTicker.perMinute).toBe(60);
  });
});

describe('Bitso ticker: documented payload (fixtures/ticker.json)', () => {
  it('reads payload.last exactly', () => {
    const outcome = parseBitsoTicker(200, fixture('ticker.json'));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.field).toBe('last');
    expect(outcome.price.toFixed()).toBe('372110');
    expect(outcome.price.eq('372110.00')).toBe(true);
  });

  it('keeps every digit of a long price', () => {
    const outcome = parseBitsoTicker(200, {
      success: true,
      payload: { book: 'btc_usd', last: '67123.45678901' },
    });
    expect(outcome.ok && outcome.price.toFixed()).toBe('67123.45678901');
  });
});

describe('Bitso ticker: refusals and bad bodies', () => {
  it('an unknown book (the error envelope with a client error) is unlisted', () => {
    const outcome = parseBitsoTicker(400, {
      success: false,
      error: { code: '0301', message: 'Unknown OrderBook' },
    });
    expect(outcome).toEqual({
      ok: false,
      unlisted: true,
      error: 'Bitso does not list this book: Unknown OrderBook (code 0301)',
    });
  });

  it('a rate-limit or server refusal is an error worth retrying, not unlisted', () => {
    for (const status of [429, 500, 503]) {
      const outcome = parseBitsoTicker(status, { success: false, error: { code: '0101', message: 'Busy' } });
      expect(outcome).toEqual({
        ok: false,
        error: `Bitso refused the ticker (HTTP ${status}): Busy (code 0101)`,
      });
    }
  });

  it('an error envelope without a message still names its code', () => {
    const outcome = parseBitsoTicker(404, { success: false, error: { code: '0301' } });
    expect(outcome).toMatchObject({
      ok: false,
      unlisted: true,
      error: 'Bitso does not list this book: code 0301',
    });
  });

  it.each([
    [
      'last as a number',
      { success: true, payload: { book: 'btc_usd', last: 67000 } },
      'payload.last',
      'the number 67000',
    ],
    [
      'last missing',
      { success: true, payload: { book: 'btc_usd' } },
      'payload.last',
      'nothing (field missing)',
    ],
    [
      'last empty',
      { success: true, payload: { book: 'btc_usd', last: '' } },
      'payload.last',
      'the string ""',
    ],
    ['no payload', { success: true }, 'payload', 'nothing (field missing)'],
    ['success false without an error', { success: false, payload: {} }, 'success', 'expected success true'],
    ['an array', [], 'the answer', 'an array'],
  ])('%s → an error naming the field', (_name, body, field, found) => {
    const outcome = parseBitsoTicker(200, body);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.unlisted).toBeUndefined();
    expect(outcome.error).toContain(`Bitso ticker: ${field}: `);
    expect(outcome.error).toContain(found);
  });

  it('a body that was not JSON', () => {
    const outcome = parseBitsoTicker(200, '<html>');
    expect(outcome).toEqual({
      ok: false,
      error: 'Bitso ticker: the answer: not valid JSON (malformed frame)',
    });
  });

  it('a last price of zero is not a usable price', () => {
    const outcome = parseBitsoTicker(200, { success: true, payload: { book: 'btc_usd', last: '0.00' } });
    expect(outcome).toEqual({ ok: false, error: 'last is 0.00, not a usable price' });
  });

  it('an HTTP error without the envelope says so', () => {
    expect(parseBitsoTicker(502, 'Bad Gateway')).toEqual({
      ok: false,
      error: 'Bitso answered the ticker with HTTP 502 and no error envelope',
    });
  });
});

describe('Bitso ticker: an answer about another pair', () => {
  it('is refused, so its price is never stored as the asked pair', () => {
    expect(parseBitsoTicker(200, fixture('ticker.json'), 'eth_mxn')).toMatchObject({ ok: false });
    expect(parseBitsoTicker(200, fixture('ticker.json'), 'eth_mxn').ok).toBe(false);
    expect(parseBitsoTicker(200, fixture('ticker.json'), 'BTC_MXN').ok).toBe(true);
  });
});
