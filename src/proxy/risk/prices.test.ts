import { describe, expect, it, vi } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { HttpResult } from '../../exchanges/kit/http-client.ts';
import type { TickerSpec } from '../../exchanges/server-types.ts';
import { catalogOf } from '../exchanges.ts';
import { createLogger, Redactor } from '../log.ts';
import { fakeEntry } from '../testing/fake-exchange.ts';
import { PriceBook, STALE_POLLS, UNLISTED_RETRY_MS } from './prices.ts';

const ticker: TickerSpec = {
  pair: (currency, reference) => `${currency}-${reference}`.toUpperCase(),
  path: (pair) => `ticker?pair=${pair}`,
  parse: (status, body) => {
    if (status === 404) return { ok: false, unlisted: true, error: 'no such pair' };
    const price = (body as { last?: unknown }).last;
    return typeof price === 'string'
      ? { ok: true, price: dec(price), field: 'last' }
      : { ok: false, error: 'no last' };
  },
  perMinute: 40, // a quarter is 10 a minute: one request every 6 s
};

function setup(
  answer: (url: URL) => { status: number; json: unknown; headers?: Record<string, string> } | Error,
) {
  let now = 1_000_000;
  const asked: string[] = [];
  const lines: string[] = [];
  const book = new PriceBook({
    catalog: catalogOf([{ ...fakeEntry, server: { ...fakeEntry.server, ticker } }]),
    log: createLogger({ redactor: new Redactor(), write: (line) => lines.push(line) }),
    now: () => now,
    random: () => 0,
    get: async (url) => {
      asked.push(url.toString());
      const a = answer(url);
      if (a instanceof Error) throw a;
      return {
        status: a.status,
        json: a.json,
        text: JSON.stringify(a.json),
        headers: new Headers(a.headers),
      } satisfies HttpResult;
    },
  });
  return { book, asked, lines, advance: (ms: number) => (now += ms), at: () => now };
}

describe('PriceBook', () => {
  it('polls a watched pair through the account rest base and keeps the price with its source and time', async () => {
    const t = setup(() => ({ status: 200, json: { last: '64250.5' } }));
    t.book.hold('a', 'fakex', 'http://127.0.0.1:9/api/', ['btc'], 'usd');
    expect(t.book.price('fakex', 'http://127.0.0.1:9/api/', 'btc', 'usd')?.problem).toBe('not asked yet');
    await t.book.pollDue();
    expect(t.asked).toEqual(['http://127.0.0.1:9/api/ticker?pair=BTC-USD']);
    const view = t.book.price('fakex', 'http://127.0.0.1:9/api/', 'btc', 'usd');
    expect(view).toMatchObject({
      pair: 'BTC-USD',
      source: 'Fake ticker BTC-USD (last)',
      at: t.at(),
      stale: false,
      problem: null,
    });
    expect(view?.price?.toString()).toBe('64250.5');
  });

  it('asks each pair in turn, never more often than its interval, and calls an old price stale', async () => {
    const t = setup(() => ({ status: 200, json: { last: '1' } }));
    const rest = 'http://x.test';
    t.book.hold('a', 'fakex', rest, ['btc', 'eth'], 'usd');
    await t.book.pollDue();
    await t.book.pollDue();
    expect(t.asked.length).toBe(2);
    await t.book.pollDue();
    expect(t.asked.length).toBe(2); // both asked, neither due again before 15 s
    t.advance(15_000);
    await t.book.pollDue();
    expect(t.asked.length).toBe(3);
    t.advance(STALE_POLLS * 15_000 + 1);
    expect(t.book.price('fakex', rest, 'eth', 'usd')?.stale).toBe(true);
  });

  it('says a pair is not listed instead of guessing, and asks again only after a long while', async () => {
    const t = setup(() => ({ status: 404, json: {} }));
    t.book.hold('a', 'fakex', 'http://x.test', ['doge'], 'usd');
    await t.book.pollDue();
    const view = t.book.price('fakex', 'http://x.test', 'doge', 'usd');
    expect(view).toMatchObject({ price: null, problem: 'no such pair', at: null });
    t.advance(60_000);
    await t.book.pollDue();
    expect(t.asked.length).toBe(1);
    t.advance(UNLISTED_RETRY_MS);
    await t.book.pollDue();
    expect(t.asked.length).toBe(2);
    expect(t.lines.filter((l) => l.includes('ticker not read')).length).toBe(1);
  });

  it('keeps the last price when a poll fails, and says what failed', async () => {
    let fail = false;
    const t = setup(() => (fail ? new Error('cannot reach x.test') : { status: 200, json: { last: '2.5' } }));
    t.book.hold('a', 'fakex', 'http://x.test', ['btc'], 'usd');
    await t.book.pollDue();
    fail = true;
    t.advance(15_000);
    await t.book.pollDue();
    const view = t.book.price('fakex', 'http://x.test', 'btc', 'usd');
    expect(view?.price?.toString()).toBe('2.5');
    expect(view?.problem).toBe('cannot reach x.test');
  });

  it('has nothing for an exchange without a ticker', () => {
    const book = new PriceBook({
      catalog: catalogOf([fakeEntry]),
      log: createLogger({ redactor: new Redactor(), write: () => {} }),
    });
    book.hold('a', 'fakex', 'http://x.test', ['btc'], 'usd');
    expect(book.hasTicker('fakex')).toBe(false);
    expect(book.price('fakex', 'http://x.test', 'btc', 'usd')).toBeUndefined();
  });

  it('polls only the pairs some account still holds', async () => {
    const t = setup(() => ({ status: 200, json: { last: '1' } }));
    t.book.hold('a', 'fakex', 'http://x.test', ['btc', 'eth'], 'usd');
    t.book.hold('b', 'fakex', 'http://x.test', ['eth'], 'usd');
    t.book.hold('a', 'fakex', 'http://x.test', [], 'usd');
    for (let i = 0; i < 3; i += 1) await t.book.pollDue();
    expect(t.asked).toEqual(['http://x.test/ticker?pair=ETH-USD']);
    t.book.hold('b', 'fakex', 'http://x.test', [], 'usd');
    t.advance(60_000);
    await t.book.pollDue();
    expect(t.asked.length).toBe(1);
  });

  it("waits the venue's Retry-After after a 429, and longer after each failure in a row", async () => {
    let answer: { status: number; json: unknown; headers?: Record<string, string> } | Error = {
      status: 429,
      json: {},
      headers: { 'retry-after': '120' },
    };
    const t = setup(() => answer);
    t.book.hold('a', 'fakex', 'http://x.test', ['btc'], 'usd');
    await t.book.pollDue();
    t.advance(119_000);
    await t.book.pollDue();
    expect(t.asked.length).toBe(1);
    t.advance(1_000);
    answer = new Error('cannot reach x.test');
    await t.book.pollDue();
    expect(t.asked.length).toBe(2);
    // Second failure in a row: twice the 15 s interval.
    t.advance(29_000);
    await t.book.pollDue();
    expect(t.asked.length).toBe(2);
    t.advance(1_000);
    answer = { status: 200, json: { last: '3' } };
    await t.book.pollDue();
    expect(t.asked.length).toBe(3);
    expect(t.book.price('fakex', 'http://x.test', 'btc', 'usd')?.price?.toString()).toBe('3');
    expect(t.lines.some((l) => l.includes('ticker read again'))).toBe(true);
  });

  it('polls on its own once started, and stops asking (and storing) once stopped', async () => {
    let release: (() => void) | undefined;
    const asked: string[] = [];
    // A venue allowing 240,000 requests a minute: one every 1 ms at a quarter of it.
    const fast = { ...ticker, perMinute: 240_000 };
    const book = new PriceBook({
      catalog: catalogOf([{ ...fakeEntry, server: { ...fakeEntry.server, ticker: fast } }]),
      log: createLogger({ redactor: new Redactor(), write: () => {} }),
      minIntervalMs: 1,
      get: (url, signal) =>
        new Promise((resolve, reject) => {
          asked.push(url.pathname);
          release = () => resolve({ status: 200, json: { last: '5' }, text: '', headers: new Headers() });
          signal.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    });
    book.hold('a', 'fakex', 'http://x.test', ['btc'], 'usd');
    book.start();
    await vi.waitFor(() => expect(asked.length).toBe(1));
    release?.();
    await vi.waitFor(() =>
      expect(book.price('fakex', 'http://x.test', 'btc', 'usd')?.price?.toString()).toBe('5'),
    );
    await vi.waitFor(() => expect(asked.length).toBe(2));
    book.stop();
    release?.();
    await new Promise((r) => setTimeout(r, 50));
    expect(asked.length).toBe(2);
  });
});
