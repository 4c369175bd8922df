import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Dec, dec } from '../../domain/decimal.ts';
import {
  estimateMoves,
  heldOwedOf,
  valuePosition,
  type LineMoves,
  type ValuedPosition,
} from '../../domain/price-moves.ts';
import { applyUpdate } from '../../domain/risk.ts';
import { pause as sleep, until } from '../kit/testing/session-harness.ts';
import type { RunningSimulator } from '../server-types.ts';
import type { ParseOutcome } from '../types.ts';
import { bitopro } from './index.ts';
import { authHeaders, getPayload, signPayload } from './sign.ts';
import {
  BitoproSimAccount,
  NONCE_FUTURE_WINDOW_MS,
  balancesBody,
  pushBody,
  startBitoproSimulator,
  type SimFigures,
} from './simulator.ts';
import { bitoproTicker, parseBitoproTicker } from './ticker.ts';

const credentials = {
  apiKey: 'demo-bitopro-key',
  apiSecret: 'demo-bitopro-secret-not-real',
  identity: 'demo@bitopro.invalid',
};
const TIME_SCALE = 0.05; // pings every 1 s, pong timeout 250 ms, pushes every 100 ms
const ctx = {
  accountId: 'bitopro-demo',
  receivedAt: 0,
  thresholds: { marginCall: dec('1.5'), liquidation: dec('1.1') },
};

let nonce = Date.now();
const nextNonce = (): number => ++nonce;

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function update(outcome: ParseOutcome) {
  if (outcome.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(outcome)}`);
  return outcome.update;
}

describe('BitoproSimAccount (the simulated account)', () => {
  function levels(scenario: 'demo' | 'steady', seed: number, untilMs: number): Dec[] {
    const account = new BitoproSimAccount({ seed, scenario, start: 0 });
    const out: Dec[] = [];
    for (let t = 0; t <= untilMs; t += 500) out.push(account.figures(t).adRatio);
    return out;
  }

  it.each([1, 2, 3, 42])(
    'demo (seed %i) crosses every band of the demo thresholds within 3 minutes',
    (seed) => {
      const seen = levels('demo', seed, 180_000);
      const firstLiquidation = seen.findIndex((l) => l.lt('1.1'));
      expect(seen[0]?.gte('1.5')).toBe(true);
      expect(seen.some((l) => l.gte('1.1') && l.lt('1.5'))).toBe(true);
      expect(firstLiquidation).toBeGreaterThan(0);
      // ... and comes back to safe afterwards.
      expect(seen.slice(firstLiquidation).some((l) => l.gte('1.5'))).toBe(true);
    },
  );

  it('steady stays safe for 10 minutes', () => {
    expect(levels('steady', 7, 600_000).every((l) => l.gte('1.5'))).toBe(true);
  });

  it('is deterministic for a seed, and seeds differ', () => {
    const a = new BitoproSimAccount({ seed: 9, scenario: 'demo', start: 1000 });
    const b = new BitoproSimAccount({ seed: 9, scenario: 'demo', start: 1000 });
    const c = new BitoproSimAccount({ seed: 10, scenario: 'demo', start: 1000 });
    const times = [1000, 5000, 60_000, 90_500];
    const body = (acc: BitoproSimAccount) => times.map((t) => JSON.stringify(balancesBody(acc.figures(t))));
    const first = body(a);
    expect(body(b)).toEqual(first);
    expect(body(c)).not.toEqual(first);
  });

  it('figures are consistent: totals from balances × mark prices, adRatio = assets/debt truncated', () => {
    const account = new BitoproSimAccount({ seed: 5, scenario: 'demo', start: 0 });
    for (let t = 0; t <= 150_000; t += 2_500) {
      const f: SimFigures = account.figures(t);
      let assets = new Dec(0);
      let debt = new Dec(0);
      for (const row of f.rows) {
        expect(row.total.eq(row.available.plus(row.traded))).toBe(true);
        assets = assets.plus(row.total.times(row.price));
        debt = debt.plus(row.borrow.plus(row.interest).times(row.price));
      }
      expect(f.assets.toFixed(8)).toBe(assets.toDecimalPlaces(8, Dec.ROUND_DOWN).toFixed(8));
      expect(f.debt.toFixed(8)).toBe(debt.toDecimalPlaces(8, Dec.ROUND_DOWN).toFixed(8));
      expect(f.adRatio.toFixed(2)).toBe(f.assets.div(f.debt).toDecimalPlaces(2, Dec.ROUND_DOWN).toFixed(2));
      // What the parser checks agrees too: no warning.
      expect(update(bitopro.normalize('balances', balancesBody(f), ctx)).warnings).toBeUndefined();
      expect(update(bitopro.normalize('account-info', pushBody(f), ctx)).warnings).toBeUndefined();
    }
  });

  it('interest accrues on the loans while principal and holdings stay', () => {
    const account = new BitoproSimAccount({ seed: 1, scenario: 'steady', start: 0 });
    const early = account.figures(0);
    const late = account.figures(3_600_000);
    const usdt = (f: SimFigures) => f.rows.find((r) => r.currency === 'USDT');
    expect(usdt(early)?.interest.toFixed(8)).toBe('12.34567890');
    // 250000 × 8 % × 1 h / 365 d = 2.28310502…
    expect(usdt(late)?.interest.toFixed(8)).toBe('14.62878392');
    expect(usdt(late)?.borrow.toFixed(8)).toBe('250000.00000000');
  });

  it.each(['1.05', '0.95', '2.50', '10.00', '1.50'])(
    'a pinned level %s is what the exchange sends',
    (level) => {
      const account = new BitoproSimAccount({ seed: 3, scenario: 'demo', start: 0 });
      account.pin(dec(level));
      expect(account.figures(12_345).adRatio.toFixed(2)).toBe(level);
    },
  );
});

describe('BitoproSimAccount: set prices', () => {
  const priceOf = (f: SimFigures, currency: string) => f.rows.find((r) => r.currency === currency)?.price;

  it('holds every price still, sets the one given, and the ratio follows from balances × prices', () => {
    const account = new BitoproSimAccount({ seed: 5, scenario: 'demo', start: 0 });
    const before = account.figures(10_000);
    account.setPrice('btc', dec('30000.123456789'), 10_000);
    const after = account.figures(10_000);
    expect(priceOf(after, 'BTC')?.toFixed()).toBe('30000.12345678');
    expect(priceOf(after, 'ETH')?.eq(priceOf(before, 'ETH') ?? 0)).toBe(true);
    expect(priceOf(after, 'USDT')?.toFixed()).toBe('1');
    // The demo walk would move the ratio within a minute; the prices stay where they were set.
    const later = account.figures(70_000);
    expect(priceOf(later, 'BTC')?.toFixed()).toBe('30000.12345678');
    expect(priceOf(later, 'ETH')?.eq(priceOf(before, 'ETH') ?? 0)).toBe(true);
    // 10.75 BTC × 30000.12345678 + 5 ETH × E + 5000 USDT over (0.5 BTC + interest) × price + 250000 USDT + interest
    const btc = later.rows[0]!;
    const eth = later.rows[1]!;
    const usdt = later.rows[2]!;
    const assets = btc.total.times(btc.price).plus(eth.total.times(eth.price)).plus(usdt.total);
    const debt = btc.borrow.plus(btc.interest).times(btc.price).plus(usdt.borrow).plus(usdt.interest);
    expect(later.assets.toFixed(8)).toBe(assets.toDecimalPlaces(8, Dec.ROUND_DOWN).toFixed(8));
    expect(later.debt.toFixed(8)).toBe(debt.toDecimalPlaces(8, Dec.ROUND_DOWN).toFixed(8));
    expect(later.adRatio.toFixed(2)).toBe(
      later.assets.div(later.debt).toDecimalPlaces(2, Dec.ROUND_DOWN).toFixed(2),
    );
  });

  it('a lower BTC price lowers the ratio; USDT and unknown currencies are ignored', () => {
    const account = new BitoproSimAccount({ seed: 5, scenario: 'steady', start: 0 });
    const before = account.figures(1_000);
    account.setPrice('USDT', dec('2'), 1_000);
    account.setPrice('XRP', dec('2'), 1_000);
    expect(account.figures(1_000).adRatio.eq(before.adRatio)).toBe(true);
    account.setPrice('BTC', priceOf(before, 'BTC')!.times('0.5'), 1_000);
    expect(account.figures(1_000).adRatio.lt(before.adRatio)).toBe(true);
  });

  it('pin (set-level) drives the ratio again; pin(null) (resume-walk) releases the prices', () => {
    const account = new BitoproSimAccount({ seed: 5, scenario: 'demo', start: 0 });
    account.setPrice('ETH', dec('1234.5'), 0);
    account.pin(dec('2.00'));
    expect(account.figures(5_000).adRatio.toFixed(2)).toBe('2.00');
    account.setPrice('ETH', dec('1234.5'), 5_000);
    account.pin(null);
    expect(priceOf(account.figures(60_000), 'ETH')?.eq('1234.5')).toBe(false);
  });
});

describe('BitoPro simulator: REST', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startBitoproSimulator({
      seed: 42,
      scenario: 'steady',
      timeScale: TIME_SCALE,
      account: { credentials },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  const get = (path: string, headers: Record<string, string> = authHeaders(credentials, nextNonce())) =>
    fetch(`${sim.endpoints.rest}/${path}`, { headers });

  it('serves /v3/margin/balances to a correctly signed request', async () => {
    expect(sim.endpoints.rest).toBe(`${sim.url}/v3`);
    const res = await get('margin/balances');
    expect(res.status).toBe(200);
    const u = update(bitopro.normalize('balances', await res.json(), ctx));
    expect(u.warnings).toBeUndefined();
    expect(u.balances?.map((b) => b.currency)).toEqual(['BTC', 'ETH', 'USDT']);
    expect(applyUpdate(undefined, u).zone).toBe('safe');
  });

  it('totals equal the balances valued at /margin/mark-price', async () => {
    const prices = (await (await get('margin/mark-price')).json()) as {
      tokenPrices: Record<string, { currency: string; price: string }>;
    };
    expect(Object.keys(prices.tokenPrices)).toEqual(['BTC', 'ETH', 'USDT']);
    expect(prices.tokenPrices.USDT).toEqual({ currency: 'USDT', price: '1.00' });
    const res = await get('margin/provisioning/borrow');
    expect(res.status).toBe(200);
    const provisioning = (await res.json()) as Record<string, Record<string, unknown>>;
    expect(provisioning.USDT).toMatchObject({
      currency: 'USDT',
      annualInterestPercentage: '8',
      borrowStatus: 1,
    });
  });

  it.each([
    ['no headers at all', {}],
    ['a wrong secret', authHeaders({ ...credentials, apiSecret: 'not-the-secret' }, Date.now())],
    ['a wrong identity', authHeaders({ ...credentials, identity: 'other@bitopro.invalid' }, Date.now())],
    [
      'an upper-case copy of a wrong signature',
      { ...authHeaders(credentials, Date.now()), 'X-BITOPRO-SIGNATURE': 'AB'.repeat(48) },
    ],
  ])('refuses %s with 401 {"error":"Invalid Signature"}', async (_name, headers) => {
    const res = await get('margin/balances', headers);
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('{"error":"Invalid Signature"}');
  });

  it('refuses an unknown key with 401 {"error":"Unauthorized api key"}', async () => {
    const res = await get(
      'margin/balances',
      authHeaders({ ...credentials, apiKey: 'someone-else' }, nextNonce()),
    );
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('{"error":"Unauthorized api key"}');
  });

  it('accepts an upper-case hex signature (compared without regard to case)', async () => {
    const headers = authHeaders(credentials, nextNonce());
    headers['X-BITOPRO-SIGNATURE'] = (headers['X-BITOPRO-SIGNATURE'] ?? '').toUpperCase();
    expect((await get('margin/balances', headers)).status).toBe(200);
  });

  it('refuses a payload that is not the one signed', async () => {
    const headers = authHeaders(credentials, nextNonce());
    headers['X-BITOPRO-PAYLOAD'] = getPayload(credentials.identity, nextNonce());
    const res = await get('margin/balances', headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Invalid Signature' });
  });

  it('refuses a signed payload that is not base64 JSON', async () => {
    const payload = Buffer.from('identity=demo').toString('base64');
    const res = await get('margin/balances', {
      'X-BITOPRO-APIKEY': credentials.apiKey,
      'X-BITOPRO-PAYLOAD': payload,
      'X-BITOPRO-SIGNATURE': signPayload(credentials.apiSecret, payload),
    });
    expect(res.status).toBe(401);
  });

  it('accepts a URL-safe base64 payload with Python-style JSON, verifying the header as received', async () => {
    const json = `{"identity": "${credentials.identity}", "nonce": ${nextNonce()}}`;
    const payload = Buffer.from(json).toString('base64url');
    const res = await get('margin/balances', {
      'X-BITOPRO-APIKEY': credentials.apiKey,
      'X-BITOPRO-PAYLOAD': payload,
      'X-BITOPRO-SIGNATURE': signPayload(credentials.apiSecret, payload),
    });
    expect(res.status).toBe(200);
  });

  it('refuses a reused or lower nonce with 409 Local Machine Time Mismatch', async () => {
    const n = nextNonce();
    const headers = authHeaders(credentials, n);
    expect((await get('margin/balances', headers)).status).toBe(200);
    const reused = await get('margin/balances', headers);
    expect(reused.status).toBe(409);
    expect(await reused.text()).toBe('{"error":"Local Machine Time Mismatch"}');
    expect((await get('margin/balances', authHeaders(credentials, n - 1))).status).toBe(409);
  });

  it('refuses a nonce more than the window ahead of the clock, accepts one just inside', async () => {
    const ahead = await get(
      'margin/balances',
      authHeaders(credentials, Date.now() + NONCE_FUTURE_WINDOW_MS + 5_000),
    );
    expect(ahead.status).toBe(409);
    expect(await ahead.json()).toEqual({ error: 'Local Machine Time Mismatch' });
    nonce = Date.now() + NONCE_FUTURE_WINDOW_MS - 5_000;
    expect((await get('margin/balances')).status).toBe(200);
  });

  it('revoke ⇒ 401 "Unauthorized api key" for a correctly signed request; restore ⇒ 200', async () => {
    sim.control({ kind: 'revoke' });
    const res = await get('margin/balances');
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('{"error":"Unauthorized api key"}');
    sim.control({ kind: 'restore' });
    expect((await get('margin/balances')).status).toBe(200);
  });

  it('http-error 429 answers the next requests with the rate-limit body, then recovers', async () => {
    sim.control({ kind: 'http-error', status: 429, count: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await get('margin/balances');
      expect(res.status).toBe(429);
      expect(await res.json()).toEqual({ error: 'too many requests' });
    }
    expect((await get('margin/balances')).status).toBe(200);
  });

  it('http-error 503 through the control route', async () => {
    const control = await fetch(`${sim.url}/__sim/control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'http-error', status: 503, count: 1 }),
    });
    expect(control.status).toBe(200);
    expect((await get('margin/balances')).status).toBe(503);
    expect((await get('margin/balances')).status).toBe(200);
  });

  it('unknown paths and other methods are 404', async () => {
    expect((await get('margin/orders')).status).toBe(404);
    expect((await fetch(`${sim.url}/margin/balances`)).status).toBe(404);
    const post = await fetch(`${sim.endpoints.rest}/margin/balances`, {
      method: 'POST',
      headers: authHeaders(credentials, nextNonce()),
    });
    expect(post.status).toBe(404);
  });

  it('malformed and bad-schema faults (no stream open) reach the next balances answer', async () => {
    sim.control({ kind: 'malformed' });
    const broken = await get('margin/balances');
    const text = await broken.text();
    expect(() => JSON.parse(text) as unknown).toThrow();
    const outcome = bitopro.normalize('balances', text, ctx);
    expect(outcome.kind === 'error' ? outcome.error.field : outcome.kind).toBe('(message)');

    sim.control({ kind: 'bad-schema' });
    const bad = bitopro.normalize('balances', await (await get('margin/balances')).json(), ctx);
    expect(bad.kind === 'error' ? [bad.error.exchange, bad.error.field] : bad.kind).toEqual([
      'bitopro',
      'accountStatus',
    ]);
    expect((await get('margin/balances')).status).toBe(200);
  });

  const ticker = (pair: string) => fetch(`${sim.endpoints.rest}/${bitoproTicker.path(pair)}`);

  it('serves tickers/btc_usdt and eth_usdt without credentials, at the prices the totals are valued at', async () => {
    // Prices held still: with a pinned level the BTC price follows the interest as it accrues.
    sim.control({ kind: 'set-price', currency: 'ETH', price: '3000' });
    const prices: Record<string, Dec> = {};
    for (const currency of ['BTC', 'ETH']) {
      const res = await ticker(bitoproTicker.pair(currency, 'USDT'));
      expect(res.status).toBe(200);
      const outcome = parseBitoproTicker(res.status, await res.json());
      if (!outcome.ok) throw new Error(outcome.error);
      prices[currency] = outcome.price;
    }
    prices.USDT = dec('1');
    const body = (await (await get('margin/balances')).json()) as {
      totalAssetAmount: string;
      balances: Record<string, { totalAmount: string }>;
    };
    let assets = dec('0');
    for (const [currency, row] of Object.entries(body.balances)) {
      assets = assets.plus(dec(row.totalAmount).times(prices[currency]!));
    }
    // The debt grows with interest between the two reads; the assets (held amounts × prices) do not.
    expect(body.totalAssetAmount).toBe(assets.toDecimalPlaces(8, Dec.ROUND_DOWN).toFixed(8));
    sim.control({ kind: 'resume-walk' });
  });

  it('an unknown pair → 404 with the error body, read as unlisted', async () => {
    for (const pair of ['xrp_usdt', 'btc_twd', 'usdt_usdt']) {
      const res = await ticker(pair);
      expect(res.status).toBe(404);
      const body: unknown = await res.json();
      expect(body).toEqual({ error: 'Not Found' });
      expect(parseBitoproTicker(res.status, body)).toMatchObject({ ok: false, unlisted: true });
    }
  });

  it('the ticker is not touched by the faults meant for the private API', async () => {
    sim.control({ kind: 'http-error', status: 503, count: 1 });
    expect((await ticker('btc_usdt')).status).toBe(200);
    expect((await get('margin/balances')).status).toBe(503);
  });

  it('set-price through the control route: the ticker and the totals follow', async () => {
    const res = await fetch(`${sim.url}/__sim/control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'set-price', currency: 'BTC', price: '25000.5' }),
    });
    expect(res.status).toBe(200);
    const outcome = parseBitoproTicker(200, await (await ticker('btc_usdt')).json());
    expect(outcome.ok && outcome.price.toFixed(8)).toBe('25000.50000000');
    const body = (await (await get('margin/mark-price')).json()) as {
      tokenPrices: Record<string, { price: string }>;
    };
    expect(body.tokenPrices.BTC?.price).toBe('25000.50');
    sim.control({ kind: 'resume-walk' });
  });

  it('set-level pins the ratio; resume-walk returns to the path', async () => {
    sim.control({ kind: 'set-level', level: '1.05' });
    const pinned = update(bitopro.normalize('balances', await (await get('margin/balances')).json(), ctx));
    expect(pinned.risk?.level).toMatchObject({ kind: 'value', text: '1.05' });
    expect(applyUpdate(undefined, pinned).zone).toBe('liquidation');
    sim.control({ kind: 'resume-walk' });
    const free = update(bitopro.normalize('balances', await (await get('margin/balances')).json(), ctx));
    const level = free.risk?.level;
    expect(level?.kind === 'value' && level.value.gte('1.5')).toBe(true);
  });
});

interface Client {
  ws: WebSocket;
  frames: string[];
  opened: Promise<void>;
  closed: Promise<number>;
  refusal: Promise<{ status: number; body: string }>;
}

function connect(
  url: string,
  headers: Record<string, string> = authHeaders(credentials, nextNonce()),
  autoPong = true,
): Client {
  const ws = new WebSocket(url, { headers, autoPong });
  const frames: string[] = [];
  ws.on('message', (data: Buffer) => frames.push(data.toString('utf8')));
  ws.on('error', () => {});
  const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const refusal = new Promise<{ status: number; body: string }>((resolve) => {
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
  return { ws, frames, opened, closed, refusal };
}

describe('BitoPro simulator: private stream', () => {
  let sim: RunningSimulator;
  const open: WebSocket[] = [];
  beforeAll(async () => {
    sim = await startBitoproSimulator({
      seed: 7,
      scenario: 'demo',
      timeScale: TIME_SCALE,
      account: { credentials },
    });
  });
  afterAll(async () => {
    for (const ws of open) ws.terminate();
    await sim.close();
  });
  function client(headers?: Record<string, string>, autoPong = true): Client {
    const c = connect(sim.endpoints.ws ?? '', headers, autoPong);
    open.push(c.ws);
    return c;
  }

  it('lives at the documented path', () => {
    expect(sim.endpoints.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/v1\/pub\/auth\/margin\/account-info$/);
  });

  it('refuses a bad handshake with 401 and the error body, before upgrading', async () => {
    const c = client(authHeaders({ ...credentials, apiSecret: 'wrong' }, nextNonce()));
    expect(await c.refusal).toEqual({ status: 401, body: '{"error":"Invalid Signature"}' });
  });

  it('refuses a reused handshake nonce with 409', async () => {
    const headers = authHeaders(credentials, nextNonce());
    const first = client(headers);
    await first.opened;
    const second = client(headers);
    expect(await second.refusal).toEqual({ status: 409, body: '{"error":"Local Machine Time Mismatch"}' });
    first.ws.close();
  });

  it('an unknown stream path is 404', async () => {
    const c = connect(`${sim.url.replace('http', 'ws')}/ws/v1/pub/auth/margin/orders`);
    open.push(c.ws);
    expect((await c.refusal).status).toBe(404);
  });

  it('first push is MARGIN_INIT, then pushes follow; all parse without warnings', async () => {
    const c = client();
    await until(() => c.frames.length >= 3);
    const [first, ...rest] = c.frames.map((f) => JSON.parse(f) as { data: { action?: string } });
    expect(first?.data.action).toBe('MARGIN_INIT');
    expect(rest[0]?.data.action).toBeUndefined();
    for (const frame of c.frames) {
      const u = update(bitopro.normalize('account-info', JSON.parse(frame), ctx));
      expect(u.warnings).toBeUndefined();
      expect(u.balancesMode).toBe('merge');
    }
    c.ws.close();
  });

  it('drops a client that does not answer pings; keeps one that does', async () => {
    const silent = client(undefined, false);
    const polite = client();
    await Promise.all([silent.opened, polite.opened]);
    const started = Date.now();
    await silent.closed;
    // First ping after 1 s, no pong within 250 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await sleep(1_300);
    expect(polite.ws.readyState).toBe(WebSocket.OPEN);
    polite.ws.close();
  });

  it('silence stops pushes and pings without closing; resuming brings pushes back', async () => {
    const c = client();
    await until(() => c.frames.length >= 1);
    let pings = 0;
    c.ws.on('ping', () => (pings += 1));
    sim.control({ kind: 'silence', on: true });
    await sleep(50);
    const count = c.frames.length;
    pings = 0;
    await sleep(1_200);
    expect(c.frames.length).toBe(count);
    expect(pings).toBe(0);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    sim.control({ kind: 'silence', on: false });
    await until(() => c.frames.length > count);
    c.ws.close();
  });

  it('malformed sends one non-JSON frame; bad-schema one that fails naming the field', async () => {
    const c = client();
    await until(() => c.frames.length >= 1);
    sim.control({ kind: 'malformed' });
    await until(() => c.frames.some((f) => !isJson(f)));
    expect(c.frames.filter((f) => !isJson(f))).toHaveLength(1);
    const before = c.frames.length;
    sim.control({ kind: 'bad-schema' });
    await until(() => c.frames.length > before);
    const outcome = bitopro.normalize('account-info', JSON.parse(c.frames[before] ?? ''), ctx);
    expect(outcome.kind === 'error' ? [outcome.error.exchange, outcome.error.field] : outcome.kind).toEqual([
      'bitopro',
      'data.accountStatus',
    ]);
    c.ws.close();
  });

  it('set-level pushes the new ratio at once; resume-walk returns to the path', async () => {
    const c = client();
    await until(() => c.frames.length >= 1);
    const before = c.frames.length;
    sim.control({ kind: 'set-level', level: '1.02' });
    // A push already on its way may arrive first; the next ones carry the new ratio.
    const read = (frame: string | undefined) =>
      update(bitopro.normalize('account-info', JSON.parse(frame ?? ''), ctx));
    const isSet = (frame: string) => {
      const level = read(frame).risk?.level;
      return level?.kind === 'value' && level.text === '1.02';
    };
    await until(() => c.frames.slice(before).some(isSet));
    expect(c.frames.slice(before).findIndex(isSet)).toBeLessThanOrEqual(1);
    const u = read(c.frames.slice(before).find(isSet));
    expect(applyUpdate(undefined, u).zone).toBe('liquidation');
    sim.control({ kind: 'resume-walk' });
    c.ws.close();
  });

  it('drop closes every stream', async () => {
    const c = client();
    await c.opened;
    sim.control({ kind: 'drop' });
    expect(await c.closed).toBe(1006);
  });

  it('revoke closes open streams and refuses the next handshake; restore accepts again', async () => {
    const c = client();
    await c.opened;
    sim.control({ kind: 'revoke' });
    expect(await c.closed).toBe(1008);
    const refused = client();
    expect((await refused.refusal).status).toBe(401);
    sim.control({ kind: 'restore' });
    const again = client();
    await again.opened;
    again.ws.close();
  });
});

describe('BitoPro round trip: the estimated move, applied in the simulator, brings the AD ratio to the line', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startBitoproSimulator({ seed: 17, scenario: 'steady', account: { credentials } });
  });
  afterAll(async () => {
    await sim.close();
  });

  async function priceOf(currency: string, reference: string): Promise<Dec> {
    const res = await fetch(
      `${sim.endpoints.rest}/${bitoproTicker.path(bitoproTicker.pair(currency, reference))}`,
    );
    const outcome = parseBitoproTicker(res.status, await res.json());
    if (!outcome.ok) throw new Error(outcome.error);
    return outcome.price;
  }

  /** The account as the proxy reads it (normalized, with the demo lines) and its currencies valued at the tickers. */
  async function reading() {
    const res = await fetch(`${sim.endpoints.rest}/margin/balances`, {
      headers: authHeaders(credentials, nextNonce()),
    });
    const u = update(bitopro.normalize('balances', await res.json(), ctx));
    expect(u.warnings).toBeUndefined();
    const risk = u.risk;
    if (!risk?.totals?.assets || !risk.totals.liabilities || risk.level.kind !== 'value') {
      throw new Error('the account did not report a level with totals');
    }
    const { assets, liabilities, currency: reference } = risk.totals;
    const positions: ValuedPosition[] = [];
    for (const row of u.balances ?? []) {
      if (row.currency === reference) continue;
      const amounts = heldOwedOf(row);
      if (!amounts) throw new Error(`${row.currency} holds and owes nothing readable`);
      positions.push(valuePosition(row.currency, amounts, await priceOf(row.currency, reference)));
    }
    const line = (kind: 'caution' | 'liquidation') => {
      const band = risk.bands.find((b) => b.kind === kind);
      if (!band) throw new Error(`no ${kind} line`);
      return band.threshold;
    };
    return {
      adRatio: risk.level.value,
      /** The reported totals' own ratio, before BitoPro truncates it to 2 decimals. */
      ratio: assets.div(liabilities),
      positions,
      estimate: estimateMoves(assets, liabilities, positions, risk.bands),
      line,
    };
  }

  function moveOf(moves: LineMoves | null | undefined, key: keyof LineMoves): Dec {
    const move = moves?.[key];
    if (move === null || move === undefined) throw new Error(`no move to ${key}`);
    return move;
  }

  /** Holds the market still (the steady walk moves prices every half second) at its current prices. */
  async function holdStill(): Promise<void> {
    sim.control({ kind: 'resume-walk' });
    sim.control({ kind: 'set-price', currency: 'BTC', price: (await priceOf('BTC', 'USDT')).toFixed() });
  }

  /**
   * BitoPro reports the AD ratio truncated to 2 decimals, a step of 0.9 % at 1.1: the reported totals must land
   * within 0.5 % of the line, and the AD ratio within its one truncation step of it.
   */
  function expectOnLine(after: { adRatio: Dec; ratio: Dec }, line: Dec): void {
    const gap = after.ratio.minus(line).div(line).abs();
    expect(gap.lte('0.005'), `assets ÷ debt ${after.ratio.toFixed()} vs line ${line.toFixed()}`).toBe(true);
    expect(after.adRatio.minus(line).abs().lte('0.01'), `adRatio ${after.adRatio.toFixed()}`).toBe(true);
  }

  it.each([
    ['toLiquidation', 'liquidation'],
    ['toMarginCall', 'caution'],
  ] as const)('BTC alone: %s', async (key, kind) => {
    await holdStill();
    const before = await reading();
    const line = before.line(kind);
    expect(before.ratio.minus(line).div(line).gt('0.3')).toBe(true);
    const move = moveOf(
      before.estimate.moves.find((m) => m.currency === 'BTC'),
      key,
    );
    expect(move.isNegative()).toBe(true);
    const btc = before.positions.find((p) => p.currency === 'BTC')!;
    sim.control({ kind: 'set-price', currency: 'BTC', price: btc.price.times(move.plus(1)).toFixed() });
    expectOnLine(await reading(), line);
  });

  it.each([
    ['toLiquidation', 'liquidation'],
    ['toMarginCall', 'caution'],
  ] as const)('the whole market: %s', async (key, kind) => {
    await holdStill();
    const before = await reading();
    const line = before.line(kind);
    expect(before.ratio.minus(line).div(line).gt('0.3')).toBe(true);
    const move = moveOf(before.estimate.market, key);
    for (const p of before.positions) {
      sim.control({ kind: 'set-price', currency: p.currency, price: p.price.times(move.plus(1)).toFixed() });
    }
    expectOnLine(await reading(), line);
  });
});
