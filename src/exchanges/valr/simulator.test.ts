import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Dec, dec } from '../../domain/decimal.ts';
import { applyUpdate } from '../../domain/risk.ts';
import { frameText } from '../kit/frames.ts';
import { pause as sleep, until } from '../kit/testing/session-harness.ts';
import type { RunningSimulator, SimControl, SimulatorOptions } from '../server-types.ts';
import { valr } from './index.ts';
import { valrSignature } from './sign.ts';
import {
  IDLE_TIMEOUT_MS,
  accountFigures,
  accountFiguresAtPrice,
  btcPriceOf,
  startValrSimulator,
} from './simulator.ts';
import { parseValrTicker, valrTicker } from './ticker.ts';
import { marginInfoData as marginInfoSchema } from './wire.ts';

const KEY = 'test-valr-key';
const SECRET = 'test-valr-secret-not-real';
const INVALID = { code: -11252, message: 'API Key or Secret is invalid' };

const running: RunningSimulator[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start(overrides: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> {
  const sim = await startValrSimulator({
    seed: 7,
    scenario: 'steady',
    account: { credentials: { apiKey: KEY, apiSecret: SECRET } },
    timeScale: 0.01,
    ...overrides,
  });
  running.push(sim);
  return sim;
}

let lastTs = 0;
/** Strictly increasing ms timestamps, like the proxy's nonce source. */
function freshTs(): number {
  lastTs = Math.max(Date.now(), lastTs + 1);
  return lastTs;
}

interface GetOptions {
  ts?: number;
  key?: string | null;
  secret?: string;
  contentType?: string | null;
  sub?: string;
  signSub?: string;
  signedPath?: string;
}

async function signedGet(
  sim: RunningSimulator,
  pathWithQuery: string,
  o: GetOptions = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const ts = String(o.ts ?? freshTs());
  const headers: Record<string, string> = {};
  if (o.key !== null) headers['X-VALR-API-KEY'] = o.key ?? KEY;
  headers['X-VALR-TIMESTAMP'] = ts;
  headers['X-VALR-SIGNATURE'] = valrSignature(
    o.secret ?? SECRET,
    ts,
    'GET',
    o.signedPath ?? pathWithQuery,
    '',
    o.signSub ?? o.sub ?? '',
  );
  if (o.sub) headers['X-VALR-SUB-ACCOUNT-ID'] = o.sub;
  if (o.contentType !== null) headers['Content-Type'] = o.contentType ?? 'application/json';
  const res = await fetch(`${sim.url}${pathWithQuery}`, { headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

function handshakeHeaders(ts = freshTs(), secret = SECRET, key = KEY): Record<string, string> {
  return {
    'X-VALR-API-KEY': key,
    'X-VALR-TIMESTAMP': String(ts),
    'X-VALR-SIGNATURE': valrSignature(secret, String(ts), 'GET', '/ws/account', ''),
  };
}

/** An open account socket that records every frame. */
class Client {
  readonly frames: string[] = [];
  closed: { code: number; reason: string } | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(frameText(data)));
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString('utf8') };
    });
  }

  static open(sim: RunningSimulator, headers: Record<string, string> = handshakeHeaders()): Promise<Client> {
    const ws = new WebSocket(sim.endpoints.ws ?? '', { headers });
    sockets.push(ws);
    const client = new Client(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  messages(): { type?: string; data?: Record<string, unknown> }[] {
    return this.frames.flatMap((f) => {
      try {
        return [JSON.parse(f) as { type?: string; data?: Record<string, unknown> }];
      } catch {
        return [];
      }
    });
  }

  ofType(type: string) {
    return this.messages().filter((m) => m.type === type);
  }
}

/** Opens a socket expecting a refusal; returns the HTTP status and body of the refused upgrade. */
function refusedUpgrade(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    sockets.push(ws);
    ws.on('open', () => reject(new Error('upgrade was accepted')));
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        ws.terminate();
      });
    });
  });
}

async function control(sim: RunningSimulator, command: SimControl): Promise<void> {
  const res = await fetch(`${sim.url}/__sim/control`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(command),
  });
  expect(res.status).toBe(200);
}

const ctx = { accountId: 'sim', receivedAt: 0 };

describe('valr simulator REST authentication', () => {
  it('answers a correctly signed GET of the balances', async () => {
    const sim = await start();
    const res = await signedGet(sim, '/v1/account/balances');
    expect(res.status).toBe(200);
    const outcome = valr.normalize('balances', res.body, ctx);
    expect(outcome.kind).toBe('update');
  });

  it.each([
    ['no API key', { key: null }, 403, { code: -403, message: 'API key is required' }],
    [
      'no Content-Type',
      { contentType: null },
      403,
      { code: -403, message: 'Content-Type must be application/json' },
    ],
    [
      'a text Content-Type',
      { contentType: 'text/plain' },
      403,
      { code: -403, message: 'Content-Type must be application/json' },
    ],
    ['a wrong secret', { secret: 'another-secret' }, 401, INVALID],
    ['an unknown key', { key: 'someone-else' }, 401, INVALID],
    ['a signature over another path', { signedPath: '/v1/account/balances?x=1' }, 401, INVALID],
    [
      'a timestamp 31 s old',
      () => ({ ts: Date.now() - 31_000 }),
      401,
      { code: -401, message: 'Request timestamp is outside the accepted window' },
    ],
    [
      'a timestamp 31 s ahead',
      () => ({ ts: Date.now() + 31_000 }),
      401,
      { code: -401, message: 'Request timestamp is outside the accepted window' },
    ],
  ] as const)('rejects %s with the exchange status and body', async (_name, options, status, body) => {
    const sim = await start();
    const res = await signedGet(
      sim,
      '/v1/account/balances',
      typeof options === 'function' ? options() : options,
    );
    expect(res.status).toBe(status);
    expect(res.body).toEqual(body);
  });

  it('rejects a reused timestamp', async () => {
    const sim = await start();
    const ts = freshTs();
    expect((await signedGet(sim, '/v1/account/balances', { ts })).status).toBe(200);
    const again = await signedGet(sim, '/v1/account/balances', { ts });
    expect(again.status).toBe(401);
    expect(again.body).toEqual({ code: -401, message: 'Request timestamp has already been used' });
  });

  it('does not burn a timestamp on a bad signature', async () => {
    const sim = await start();
    const ts = freshTs();
    expect((await signedGet(sim, '/v1/account/balances', { ts, secret: 'wrong' })).status).toBe(401);
    expect((await signedGet(sim, '/v1/account/balances', { ts })).status).toBe(200);
  });

  it('signs the query string', async () => {
    const sim = await start();
    expect((await signedGet(sim, '/v1/account/balances?excludeZeroBalances=true')).status).toBe(200);
  });

  it('refuses a revoked key until it is restored', async () => {
    const sim = await start();
    await control(sim, { kind: 'revoke' });
    const refused = await signedGet(sim, '/v2/margin/status');
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual(INVALID);
    await control(sim, { kind: 'restore' });
    expect((await signedGet(sim, '/v2/margin/status')).status).toBe(200);
  });

  it('checks the sub-account id: signed and known', async () => {
    const sim = await start({
      account: { credentials: { apiKey: KEY, apiSecret: SECRET }, options: { subaccountId: '1234567890' } },
    });
    expect((await signedGet(sim, '/v1/account/balances', { sub: '1234567890' })).status).toBe(200);
    const unsigned = await signedGet(sim, '/v1/account/balances', { sub: '1234567890', signSub: '' });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toEqual(INVALID);
    const other = await signedGet(sim, '/v1/account/balances', { sub: '999' });
    expect(other.status).toBe(403);
    expect(other.body).toEqual({ code: -403, message: 'Sub-account not found' });
  });

  it('answers an unknown path with 404 after checking the signature', async () => {
    const sim = await start();
    const res = await signedGet(sim, '/v1/orders/open');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: -404, message: 'Not Found' });
  });
});

describe('valr simulator REST faults', () => {
  it('answers 429 with x-valr-ratelimited for the injected count, then recovers', async () => {
    const sim = await start();
    await control(sim, { kind: 'http-error', status: 429, count: 2 });
    for (let i = 0; i < 2; i += 1) {
      const res = await signedGet(sim, '/v1/account/balances');
      expect(res.status).toBe(429);
      expect(res.headers.get('x-valr-ratelimited')).toBe('true');
      expect(res.body).toEqual({ code: -429, message: 'Rate limit exceeded' });
    }
    expect((await signedGet(sim, '/v1/account/balances')).status).toBe(200);
  });

  it('answers an injected 503', async () => {
    const sim = await start();
    await control(sim, { kind: 'http-error', status: 503, count: 1 });
    const res = await signedGet(sim, '/v2/margin/status');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ code: -503, message: 'Simulated HTTP 503' });
  });

  it('sends a malformed balances body when no socket takes the fault', async () => {
    const sim = await start();
    await control(sim, { kind: 'malformed' });
    const res = await signedGet(sim, '/v1/account/balances');
    expect(res.status).toBe(200);
    expect(res.body).toBeUndefined();
    const outcome = valr.normalize('balances', res.text, ctx);
    expect(outcome.kind === 'error' && outcome.error.field).toBe('(message)');
    expect((await signedGet(sim, '/v1/account/balances')).body).toBeInstanceOf(Array);
  });

  it('sends a balances body with a wrong schema when no socket takes the fault', async () => {
    const sim = await start();
    await control(sim, { kind: 'bad-schema' });
    const res = await signedGet(sim, '/v1/account/balances');
    const outcome = valr.normalize('balances', res.body, ctx);
    expect(outcome.kind).toBe('error');
    if (outcome.kind === 'error') expect(outcome.error.field).toBe('[0].available');
  });
});

describe('valr simulator figures', () => {
  it('keeps MARGIN_INFO figures consistent with each other and with the balances', async () => {
    const sim = await start({ timeScale: 1 });
    const status = await signedGet(sim, '/v2/margin/status');
    const balances = await signedGet(sim, '/v1/account/balances');
    const m = marginInfoSchema.parse(status.body);
    const exposure = dec(m.totalLeveragedExposureInReference);
    const collateralized = dec(m.collateralizedBalancesInReference);
    const borrowed = dec(m.totalBorrowedInReference);
    const equity = collateralized.minus(borrowed);
    expect(m.referenceCurrency).toBe('USDC');
    expect(m.marginFraction).toBe(equity.div(exposure).toDecimalPlaces(8, Dec.ROUND_HALF_EVEN).toFixed());
    expect(m.initialRequiredInReference).toBe(
      exposure.times('0.1').toDecimalPlaces(8, Dec.ROUND_UP).toFixed(),
    );
    expect(m.availableInReference).toBe(equity.minus(m.initialRequiredInReference).toFixed());
    expect(m.leverageMultiple).toBe(exposure.div(equity).toDecimalPlaces(2).toNumber());
    expect([m.initialMarginFraction, m.maintenanceMarginFraction, m.autoCloseMarginFraction]).toEqual([
      '0.1',
      '0.05',
      '0.03',
    ]);
    expect(status.body).toMatchObject({
      defaultInitialMarginFraction: '0.1',
      defaultMaintenanceMarginFraction: '0.05',
      defaultAutoCloseMarginFraction: '0.03',
    });
    const rows = balances.body as { currency: string; total: string; borrowedAmount: string }[];
    const usdc = rows.find((r) => r.currency === 'USDC');
    const btc = rows.find((r) => r.currency === 'BTC');
    expect(usdc?.borrowedAmount).toBe(borrowed.toFixed(8));
    expect(usdc?.total).toBe(borrowed.neg().toFixed(8));
    expect(btc?.total).toBe('0.25000000');
  });

  it('answers the margin account status, in liquidation below maintenance', async () => {
    const sim = await start();
    expect((await signedGet(sim, '/v1/margin/account/status')).body).toEqual({
      marginEnabled: true,
      inLiquidation: false,
      futuresEnabled: false,
    });
    await control(sim, { kind: 'set-level', level: '0.04' });
    expect((await signedGet(sim, '/v1/margin/account/status')).body).toMatchObject({ inLiquidation: true });
  });

  it('lets a test set inLiquidation whatever the level, and go back to the level', async () => {
    const sim = await start();
    const inLiquidation = async () =>
      ((await signedGet(sim, '/v1/margin/account/status')).body as { inLiquidation: unknown }).inLiquidation;
    await control(sim, { kind: 'set-level', level: '0.5' });
    await control(sim, { kind: 'liquidating', on: true });
    expect(await inLiquidation()).toBe(true);
    await control(sim, { kind: 'set-level', level: '0.04' });
    await control(sim, { kind: 'liquidating', on: false });
    expect(await inLiquidation()).toBe(false);
    await control(sim, { kind: 'liquidating', on: null });
    expect(await inLiquidation()).toBe(true);
  });

  it('signs the margin account status like every other read: a bad signature is refused', async () => {
    const sim = await start();
    const refused = await signedGet(sim, '/v1/margin/account/status', { secret: 'not-the-secret' });
    expect([refused.status, refused.body]).toEqual([401, INVALID]);
  });

  it.each([
    ['0.5', '6000', '12000', '12000', '-6000', 2],
    ['0.025', '6000', '6153.84615385', '6153.84615385', '-6000', 40],
    ['1.2', '0', '10000', '12000', '2000', 0.83],
  ])(
    'set-level %s gives exactly that fraction and matching figures',
    (level, borrowed, exposure, coll, usdc, lev) => {
      const f = accountFigures(dec(level), 0);
      expect(f.marginFraction).toBe(level);
      expect([f.borrowed, f.exposure, f.collateralized, f.usdcTotal, f.leverageMultiple]).toEqual([
        borrowed,
        exposure,
        coll,
        usdc,
        lev,
      ]);
    },
  );

  it('accrues interest on the borrow every interest period', () => {
    expect(accountFigures(dec('0.4'), 0).borrowed).toBe('6000');
    expect(accountFigures(dec('0.4'), 1).borrowed).toBe('6000.12');
    expect(accountFigures(dec('0.4'), 2).borrowed).toBe('6000.2400024');
  });

  it('accrues interest while it runs (scaled interest period)', async () => {
    const sim = await start({ timeScale: 0.01 });
    await control(sim, { kind: 'set-level', level: '0.4' });
    const first = marginInfoSchema.parse((await signedGet(sim, '/v2/margin/status')).body);
    await sleep(700);
    const later = marginInfoSchema.parse((await signedGet(sim, '/v2/margin/status')).body);
    expect(dec(later.totalBorrowedInReference).gt(dec(first.totalBorrowedInReference))).toBe(true);
    expect(later.marginFraction).toBe('0.4');
  });
});

async function marketSummary(sim: RunningSimulator, pair: string) {
  const res = await fetch(`${sim.url}/${valrTicker.path(pair)}`);
  return { status: res.status, body: (await res.json()) as unknown };
}

async function btcPrice(sim: RunningSimulator): Promise<Dec> {
  const { status, body } = await marketSummary(sim, valrTicker.pair('BTC', 'USDC'));
  const outcome = parseValrTicker(status, body);
  if (!outcome.ok) throw new Error(outcome.error);
  expect(outcome.field).toBe('markPrice');
  return outcome.price;
}

describe('valr simulator market summary and set-price', () => {
  it('the BTC price is the exposure over the BTC held, by the same model at a set price', () => {
    const f = accountFigures(dec('0.4'), 0);
    // 6000 borrowed at a fraction of 0.4: exposure 10000 for 0.25 BTC
    expect([f.exposure, btcPriceOf(f).toFixed()]).toEqual(['10000', '40000']);
    const at = accountFiguresAtPrice(dec('40000'), 0);
    expect(at.marginFraction).toBe(f.marginFraction);
    const lower = accountFiguresAtPrice(dec('30000'), 0);
    // exposure 7500, borrowed 6000: (7500 − 6000) / 7500
    expect([lower.exposure, lower.marginFraction]).toEqual(['7500', '0.2']);
  });

  it('serves BTCUSDC without credentials, at the price the exposure is valued at', async () => {
    // Unscaled: no interest period passes, so the borrow (and the exposure at 0.4) stays at its opening figure.
    const sim = await start({ timeScale: 1 });
    sim.control({ kind: 'set-level', level: '0.4' });
    expect((await btcPrice(sim)).toFixed()).toBe('40000');
    const { body } = await marketSummary(sim, 'BTCUSDC');
    expect(body).toMatchObject({ currencyPair: 'BTCUSDC', lastTradedPrice: '40000', markPrice: '40000' });
  });

  it('an unknown pair → 404 with the error body, read as unlisted', async () => {
    const sim = await start();
    for (const pair of ['ETHUSDC', 'BTCZAR', 'USDCUSDC']) {
      const { status, body } = await marketSummary(sim, pair);
      expect(status).toBe(404);
      expect(body).toEqual({ code: -404, message: 'Currency pair not found' });
      expect(parseValrTicker(status, body)).toMatchObject({ ok: false, unlisted: true });
    }
  });

  it('is not touched by the faults meant for the private API', async () => {
    const sim = await start();
    sim.control({ kind: 'http-error', status: 503, count: 1 });
    expect((await marketSummary(sim, 'BTCUSDC')).status).toBe(200);
    expect((await signedGet(sim, '/v1/account/balances')).status).toBe(503);
  });

  it('set-price holds the BTC price still and the fraction follows; set-level and resume-walk take over again', async () => {
    const sim = await start({ scenario: 'demo' });
    sim.control({ kind: 'set-price', currency: 'BTC', price: '30000' });
    expect((await btcPrice(sim)).toFixed()).toBe('30000');
    const status = (await signedGet(sim, '/v2/margin/status')).body as Record<string, unknown>;
    const borrowed = dec(status.totalBorrowedInReference as string);
    const expected = dec('7500').minus(borrowed).div('7500').toDecimalPlaces(8, Dec.ROUND_HALF_EVEN);
    expect(status.totalLeveragedExposureInReference).toBe('7500');
    expect(status.marginFraction).toBe(expected.toFixed());
    // USDC is the reference: it has no price of its own to set.
    sim.control({ kind: 'set-price', currency: 'USDC', price: '2' });
    expect((await btcPrice(sim)).toFixed()).toBe('30000');
    sim.control({ kind: 'set-level', level: '0.25' });
    const pinned = (await signedGet(sim, '/v2/margin/status')).body as Record<string, unknown>;
    expect(pinned.marginFraction).toBe('0.25');
    sim.control({ kind: 'set-price', currency: 'btc', price: '30000' });
    sim.control({ kind: 'resume-walk' });
    await sleep(100);
    expect((await btcPrice(sim)).eq('30000')).toBe(false);
  });
});

describe('valr simulator account WebSocket', () => {
  it('authenticates on the handshake headers and sends MARGIN_INFO at once on subscribe', async () => {
    const sim = await start({ timeScale: 1 });
    const client = await Client.open(sim);
    await until(() => client.ofType('AUTHENTICATED').length === 1, 'AUTHENTICATED');
    client.send({ type: 'SUBSCRIBE', subscriptions: [{ event: 'MARGIN_INFO' }] });
    // The push interval is 5 s at this time scale: the first one comes from the subscription.
    await until(() => client.ofType('MARGIN_INFO').length === 1, 'MARGIN_INFO');
    const outcome = valr.normalize('account', client.ofType('MARGIN_INFO')[0], ctx);
    expect(outcome.kind).toBe('update');
    if (outcome.kind !== 'update') return;
    expect(outcome.update.risk?.bands.map((b) => b.threshold.toFixed())).toEqual(['0.1', '0.05', '0.03']);
    expect(applyUpdate(undefined, outcome.update).zone).toBe('safe');
  });

  it('pushes MARGIN_INFO on the (scaled) 5 s cadence', async () => {
    const sim = await start({ timeScale: 0.01 });
    const client = await Client.open(sim);
    client.send({ type: 'SUBSCRIBE', subscriptions: [{ event: 'MARGIN_INFO' }] });
    await until(() => client.ofType('MARGIN_INFO').length >= 5, 'five pushes');
  });

  it('answers PING with PONG', async () => {
    const sim = await start();
    const client = await Client.open(sim);
    client.send({ type: 'PING' });
    await until(() => client.ofType('PONG').length === 1, 'PONG');
  });

  it.each([
    ['a wrong secret', () => handshakeHeaders(freshTs(), 'wrong-secret'), INVALID],
    ['an unknown key', () => handshakeHeaders(freshTs(), SECRET, 'someone-else'), INVALID],
    [
      'a stale timestamp',
      () => handshakeHeaders(Date.now() - 60_000),
      { code: -401, message: 'Request timestamp is outside the accepted window' },
    ],
  ])('refuses the upgrade with 401 for %s', async (_name, headers, body) => {
    const sim = await start();
    const refused = await refusedUpgrade(sim.endpoints.ws ?? '', headers());
    expect(refused).toEqual({ status: 401, body });
  });

  it('refuses a reused handshake timestamp', async () => {
    const sim = await start();
    const headers = handshakeHeaders();
    await Client.open(sim, headers);
    const refused = await refusedUpgrade(sim.endpoints.ws ?? '', headers);
    expect(refused).toEqual({
      status: 401,
      body: { code: -401, message: 'Request timestamp has already been used' },
    });
  });

  it('refuses the handshake of a revoked key and closes its open sockets', async () => {
    const sim = await start();
    const client = await Client.open(sim);
    await control(sim, { kind: 'revoke' });
    await until(() => client.closed !== null, 'close');
    expect(client.closed).toEqual({ code: 1008, reason: 'API Key or Secret is invalid' });
    expect(await refusedUpgrade(sim.endpoints.ws ?? '', handshakeHeaders())).toEqual({
      status: 401,
      body: INVALID,
    });
    await control(sim, { kind: 'restore' });
    const again = await Client.open(sim);
    await until(() => again.ofType('AUTHENTICATED').length === 1, 'AUTHENTICATED');
  });

  it('accepts the in-band AUTHENTICATE message (signature over ts + GET + /ws/account)', async () => {
    const sim = await start({ timeScale: 1 });
    const client = await Client.open(sim, {});
    client.send({ type: 'SUBSCRIBE', subscriptions: [{ event: 'MARGIN_INFO' }] });
    await sleep(100);
    expect(client.ofType('MARGIN_INFO')).toHaveLength(0);
    const ts = freshTs();
    client.send({
      type: 'AUTHENTICATE',
      payload: {
        apiKey: KEY,
        signature: valrSignature(SECRET, String(ts), 'GET', '/ws/account', ''),
        timestamp: ts,
      },
    });
    await until(() => client.ofType('MARGIN_INFO').length >= 1, 'MARGIN_INFO after AUTHENTICATE');
    expect(client.messages()[0]).toEqual({ type: 'AUTHENTICATED' });
  });

  it('closes the socket on a bad in-band AUTHENTICATE', async () => {
    const sim = await start();
    const client = await Client.open(sim, {});
    const ts = freshTs();
    client.send({
      type: 'AUTHENTICATE',
      payload: {
        apiKey: KEY,
        signature: valrSignature('wrong', String(ts), 'GET', '/ws/account', ''),
        timestamp: ts,
      },
    });
    await until(() => client.closed !== null, 'close');
    expect(client.closed).toEqual({ code: 1008, reason: 'API Key or Secret is invalid' });
  });

  it('closes a socket that never authenticates', async () => {
    const sim = await start({ timeScale: 0.01 });
    const client = await Client.open(sim, {});
    // Keep it from being idle so the auth timeout (10 s scaled) is what ends it.
    const ping = setInterval(() => client.send({ type: 'PING' }), 20);
    await until(() => client.closed !== null, 'close');
    clearInterval(ping);
    expect(client.closed).toEqual({ code: 1008, reason: 'Not authenticated' });
  });

  it('refuses other paths', async () => {
    const sim = await start();
    const url = (sim.endpoints.ws ?? '').replace('/ws/account', '/ws/trade');
    expect((await refusedUpgrade(url, handshakeHeaders())).status).toBe(404);
  });
});

describe('valr simulator keep-alive and faults', () => {
  it('drops a client silent for the (scaled) 60 s idle timeout, and keeps one that pings', async () => {
    const sim = await start({ timeScale: 0.01 });
    const idleMs = IDLE_TIMEOUT_MS * 0.01;
    const quiet = await Client.open(sim);
    const chatty = await Client.open(sim);
    const ping = setInterval(() => chatty.send({ type: 'PING' }), idleMs / 4);
    const opened = Date.now();
    await until(() => quiet.closed !== null, 'idle drop');
    expect(Date.now() - opened).toBeGreaterThanOrEqual(idleMs - 20);
    await sleep(idleMs * 1.5);
    clearInterval(ping);
    expect(chatty.closed).toBeNull();
  });

  it('drop closes every socket', async () => {
    const sim = await start();
    const client = await Client.open(sim);
    await control(sim, { kind: 'drop' });
    await until(() => client.closed !== null, 'close');
  });

  it('silence stops every frame, PONG included, until it is lifted', async () => {
    const sim = await start({ timeScale: 0.01 });
    const client = await Client.open(sim);
    client.send({ type: 'SUBSCRIBE', subscriptions: [{ event: 'MARGIN_INFO' }] });
    await until(() => client.ofType('MARGIN_INFO').length >= 1, 'MARGIN_INFO');
    await control(sim, { kind: 'silence', on: true });
    const before = client.frames.length;
    client.send({ type: 'PING' });
    await sleep(250);
    expect(client.frames.length).toBe(before);
    expect(client.closed).toBeNull();
    await control(sim, { kind: 'silence', on: false });
    client.send({ type: 'PING' });
    await until(() => client.ofType('PONG').length === 1, 'PONG after silence');
    await until(() => client.frames.length > before + 2, 'pushes after silence');
  });

  it('malformed sends one frame that is not JSON', async () => {
    const sim = await start({ timeScale: 1 });
    const client = await Client.open(sim);
    client.send({ type: 'SUBSCRIBE', subscriptions: [{ event: 'MARGIN_INFO' }] });
    await until(() => client.ofType('MARGIN_INFO').length === 1, 'MARGIN_INFO');
    await control(sim, { kind: 'malformed' });
    await until(() => client.frames.length === 3, 'malformed frame');
    const raw = client.frames[2] ?? '';
    expect(() => JSON.parse(raw) as unknown).toThrow();
    const outcome = valr.normalize('account', raw, ctx);
    expect(outcome.kind === 'error' && outcome.error.field).toBe('(message)');
  });

  it('bad-schema sends one MARGIN_INFO with a number where VALR sends a string', async () => {
    const sim = await start({ timeScale: 1 });
    const client = await Client.open(sim);
    client.send({ type: 'SUBSCRIBE', subscriptions: [{ event: 'MARGIN_INFO' }] });
    await until(() => client.ofType('MARGIN_INFO').length === 1, 'MARGIN_INFO');
    await control(sim, { kind: 'bad-schema' });
    await until(() => client.ofType('MARGIN_INFO').length === 2, 'bad frame');
    const outcome = valr.normalize('account', client.ofType('MARGIN_INFO')[1], ctx);
    expect(outcome.kind).toBe('error');
    if (outcome.kind === 'error') {
      expect(outcome.error.exchange).toBe('valr');
      expect(outcome.error.field).toBe('data.marginFraction');
    }
  });

  it('set-level pushes the pinned level at once; resume-walk returns to the path', async () => {
    const sim = await start({ timeScale: 1 });
    const client = await Client.open(sim);
    client.send({ type: 'SUBSCRIBE', subscriptions: [{ event: 'MARGIN_INFO' }] });
    await until(() => client.ofType('MARGIN_INFO').length === 1, 'MARGIN_INFO');
    await control(sim, { kind: 'set-level', level: '0.02' });
    await until(() => client.ofType('MARGIN_INFO').length === 2, 'pinned push');
    const pinned = valr.normalize('account', client.ofType('MARGIN_INFO')[1], ctx);
    expect(pinned.kind === 'update' && pinned.update.risk?.level.text).toBe('0.02');
    expect(pinned.kind === 'update' && applyUpdate(undefined, pinned.update).zone).toBe('takeover');
    await control(sim, { kind: 'resume-walk' });
    await until(() => client.ofType('MARGIN_INFO').length === 3, 'walk push');
    expect(client.ofType('MARGIN_INFO')[2]?.data?.marginFraction).not.toBe('0.02');
  });
});

describe('valr simulator scenarios', () => {
  async function zonesOver(scenario: 'demo' | 'steady', ms: number): Promise<Set<string>> {
    const sim = await start({ scenario, timeScale: 0.01, seed: 11 });
    const client = await Client.open(sim);
    const ping = setInterval(() => client.send({ type: 'PING' }), 100);
    client.send({ type: 'SUBSCRIBE', subscriptions: [{ event: 'MARGIN_INFO' }] });
    await sleep(ms);
    clearInterval(ping);
    const zones = new Set<string>();
    for (const message of client.ofType('MARGIN_INFO')) {
      const outcome = valr.normalize('account', message, ctx);
      if (outcome.kind === 'update') zones.add(applyUpdate(undefined, outcome.update).zone);
    }
    return zones;
  }

  it('demo crosses every band within one (scaled) 150 s cycle', async () => {
    expect([...(await zonesOver('demo', 1600))].sort()).toEqual([
      'caution',
      'liquidation',
      'safe',
      'takeover',
    ]);
  });

  it('steady stays safe', async () => {
    expect([...(await zonesOver('steady', 1600))]).toEqual(['safe']);
  });
});
