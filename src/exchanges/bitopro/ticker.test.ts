import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bitoproTicker, parseBitoproTicker } from './ticker.ts';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

describe('BitoPro ticker: pair and path', () => {
  it('pairs are lowercase base_quote under tickers/, relative to the v3 base', () => {
    const pair = bitoproTicker.pair('BTC', 'USDT');
    expect(pair).toBe('btc_usdt');
    expect(bitoproTicker.path(pair)).toBe('tickers/btc_usdt');
    expect(new URL(bitoproTicker.path(pair), 'https://api.bitopro.com/v3/').href).toBe(
      'https://api.bitopro.com/v3/tickers/btc_usdt',
    );
  });

  it('stays inside the open API limit of 600 requests a minute', () => {
    expect(bitoproTicker.perMinute).toBe(600);
  });
});

describe('BitoPro ticker: documented shape (fixtures/ticker.json)', () => {
  it('reads data.lastPrice exactly', () => {
    const outcome = parseBitoproTicker(200, fixture('ticker.json'));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.field).toBe('lastPrice');
    expect(outcome.price.toFixed()).toBe('0.032528');
  });

  it('keeps every digit of a USDT price', () => {
    const outcome = parseBitoproTicker(200, { data: { pair: 'btc_usdt', lastPrice: '43251.12345678' } });
    expect(outcome.ok && outcome.price.toFixed()).toBe('43251.12345678');
  });
});

describe('BitoPro ticker: refusals and bad bodies', () => {
  it('an unknown pair (an error body with a client error) is unlisted', () => {
    expect(parseBitoproTicker(404, { error: 'Not Found' })).toEqual({
      ok: false,
      unlisted: true,
      error: 'BitoPro does not list this pair: Not Found',
    });
  });

  it('too many requests is an error worth retrying', () => {
    expect(parseBitoproTicker(429, { error: 'too many requests' })).toEqual({
      ok: false,
      error: 'BitoPro refused the ticker (HTTP 429): too many requests',
    });
  });

  it.each([
    [
      'lastPrice as a number',
      { data: { pair: 'btc_usdt', lastPrice: 43000 } },
      'data.lastPrice',
      'the number 43000',
    ],
    ['lastPrice missing', { data: { pair: 'btc_usdt' } }, 'data.lastPrice', 'nothing (field missing)'],
    ['data as the all-pairs list', { data: [{ pair: 'btc_usdt', lastPrice: '1' }] }, 'data', 'an array'],
    ['no data', {}, 'data', 'nothing (field missing)'],
    ['null', null, 'the answer', 'null'],
  ])('%s → an error naming the field', (_name, body, field, found) => {
    const outcome = parseBitoproTicker(200, body);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.unlisted).toBeUndefined();
    expect(outcome.error).toContain(`BitoPro ticker: ${field}: `);
    expect(outcome.error).toContain(found);
  });

  it('a last price of zero is not a usable price', () => {
    expect(parseBitoproTicker(200, { data: { pair: 'btc_usdt', lastPrice: '0' } })).toEqual({
      ok: false,
      error: 'lastPrice is 0, not a usable price',
    });
  });

  it('an HTTP error without an error body says so', () => {
    expect(parseBitoproTicker(500, 'oops')).toEqual({
      ok: false,
      error: 'BitoPro answered the ticker with HTTP 500 and no error body',
    });
  });
});

describe('BitoPro ticker: an answer about another pair', () => {
  it('is refused, so its price is never stored as the asked pair', () => {
    expect(parseBitoproTicker(200, fixture('ticker.json'), 'btc_usdt')).toMatchObject({ ok: false });
    expect(parseBitoproTicker(200, fixture('ticker.json'), 'btc_usdt').ok).toBe(false);
    expect(parseBitoproTicker(200, fixture('ticker.json'), 'ETH_BTC').ok).toBe(true);
  });
});
