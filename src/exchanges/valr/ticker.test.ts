import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseValrTicker, valrTicker } from './ticker.ts';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
}

describe('VALR ticker: pair and path', () => {
  it('pairs are base and quote in capitals under /v1/public/<PAIR>/marketsummary', () => {
    const pair = valrTicker.pair('btc', 'usdc');
    expect(pair).toBe('BTCUSDC');
    expect(valrTicker.path(pair)).toBe('v1/public/BTCUSDC/marketsummary');
  });

  it('stays inside the public routes limit of 30 requests a minute', () => {
    expect(valrTicker.perMinute).toBe(30);
  });
});

describe('VALR ticker: market summary (fixtures/marketsummary-constructed.json)', () => {
  it('reads markPrice where the pair has one', () => {
    const outcome = parseValrTicker(200, fixture('marketsummary-constructed.json'));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect([outcome.field, outcome.price.toFixed()]).toEqual(['markPrice', '297205']);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['zero', '0'],
  ])('markPrice %s → lastTradedPrice', (_name, mark) => {
    const body = { ...fixture('marketsummary-constructed.json') };
    if (mark === undefined) delete body.markPrice;
    else body.markPrice = mark;
    const outcome = parseValrTicker(200, body);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect([outcome.field, outcome.price.toFixed()]).toEqual(['lastTradedPrice', '297161']);
  });
});

describe('VALR ticker: refusals and bad bodies', () => {
  it('an unknown pair (the error body with a client error) is unlisted', () => {
    expect(parseValrTicker(404, { code: -404, message: 'Currency pair not found' })).toEqual({
      ok: false,
      unlisted: true,
      error: 'VALR does not list this pair: Currency pair not found (code -404)',
    });
  });

  it('a rate limit is an error worth retrying', () => {
    expect(parseValrTicker(429, { code: -429, message: 'Rate limit exceeded' })).toEqual({
      ok: false,
      error: 'VALR refused the ticker (HTTP 429): Rate limit exceeded (code -429)',
    });
  });

  it.each([
    ['lastTradedPrice as a number', { currencyPair: 'BTCUSDC', lastTradedPrice: 1 }, 'lastTradedPrice'],
    ['lastTradedPrice missing', { currencyPair: 'BTCUSDC' }, 'lastTradedPrice'],
    [
      'markPrice not a decimal',
      { currencyPair: 'BTCUSDC', lastTradedPrice: '1', markPrice: 'n/a' },
      'markPrice',
    ],
    ['currencyPair missing', { lastTradedPrice: '1' }, 'currencyPair'],
  ])('%s → an error naming the field', (_name, body, field) => {
    const outcome = parseValrTicker(200, body);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.unlisted).toBeUndefined();
    expect(outcome.error).toMatch(new RegExp(`^VALR ticker: ${field}: expected`));
  });

  it('a last traded price of zero without a mark price is not usable', () => {
    expect(parseValrTicker(200, { currencyPair: 'BTCUSDC', lastTradedPrice: '0', markPrice: '' })).toEqual({
      ok: false,
      error: 'lastTradedPrice is 0, not a usable price',
    });
  });
});

describe('VALR ticker: an answer about another pair', () => {
  it('is refused, so its price is never stored as the asked pair', () => {
    expect(parseValrTicker(200, fixture('marketsummary-constructed.json'), 'BTCUSDC')).toMatchObject({
      ok: false,
    });
    expect(parseValrTicker(200, fixture('marketsummary-constructed.json'), 'BTCUSDC').ok).toBe(false);
    expect(parseValrTicker(200, fixture('marketsummary-constructed.json'), 'btcusdt').ok).toBe(true);
  });
});
