import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec, dec } from '../../domain/decimal.ts';
import {
  estimateMoves,
  heldOwedOf,
  valuePosition,
  type LineMoves,
  type ValuedPosition,
} from '../../domain/price-moves.ts';
import { applyUpdate } from '../../domain/risk.ts';
import { LevelPath } from '../kit/simkit.ts';
import { pause } from '../kit/testing/session-harness.ts';
import type { RunningSimulator } from '../server-types.ts';
import { normalizeBitso } from './normalize.ts';
import { bitsoSignature } from './sign.ts';
import {
  accountBody,
  assetsAt,
  BASE_PRICES,
  figuresAt,
  figuresFor,
  parseAuthorization,
  RateLimiter,
  SIM_PATHS,
  startBitsoSimulator,
} from './simulator.ts';
import { bitsoTicker, parseBitsoTicker } from './ticker.ts';

const KEY = 'demo-bitso-key';
const SECRET = 'demo-bitso-secret-not-real';

let nonce = Date.now();
function nextNonce(): string {
  nonce += 1;
  return String(nonce);
}

interface GetOptions {
  key?: string;
  secret?: string;
  nonce?: string;
  /** What to sign instead of the path actually requested. */
  signedPath?: string;
  authorization?: string | null;
  method?: string;
  timeoutMs?: number;
}

interface Answer {
  status: number;
  text: string;
  json: unknown;
  headers: Headers;
}

async function call(sim: RunningSimulator, path: string, o: GetOptions = {}): Promise<Answer> {
  const n = o.nonce ?? nextNonce();
  const method = o.method ?? 'GET';
  const signature = bitsoSignature(o.secret ?? SECRET, n, method, o.signedPath ?? path, '');
  const authorization =
    o.authorization === undefined ? `Bitso ${o.key ?? KEY}:${n}:${signature}` : o.authorization;
  const headers: Record<string, string> = authorization === null ? {} : { authorization };
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers,
    signal: AbortSignal.timeout(o.timeoutMs ?? 5_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

function errors(code: string, message: string): unknown {
  return { errors: [{ code, message }] };
}

/** Bitso's documented error envelope, exactly as an authentication failure (HTTP 401) carries it. */
function envelope(code: string, message: string): unknown {
  return { success: false, error: { code, message } };
}

const INVALID_0201 = envelope('0201', 'Invalid Nonce or Invalid Credentials');

function codeOf(json: unknown): unknown {
  return (json as { error?: { code?: unknown } }).error?.code;
}

const ctx = { accountId: 'bitso-demo', receivedAt: 1 };

function update(body: unknown) {
  const outcome = normalizeBitso('account', body, ctx);
  if (outcome.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(outcome)}`);
  return outcome.update;
}

describe('figuresFor (the simulated account)', () => {
  it.each([
    ['2.6', 0, 'ACTIVE', '2.6000', '10400.00', '4000.00', '8800.00', '-4000.00', '0.00'],
    ['1.5', 0, 'ACTIVE', '1.5000', '6000.00', '4000.00', '0.00', '-4000.00', '0.00'],
    ['1.1', 0, 'ACTIVE', '1.1000', '4400.00', '4000.00', '0.00', '-4000.00', '0.00'],
    ['1.0999', 0, 'BLOCKED', '1.0999', '4399.60', '4000.00', '0.00', '-4000.00', '0.00'],
    ['1.05', 6, 'BLOCKED', '1.0500', '4200.26', '4000.24', '0.00', '-4000.24', '0.24'],
    ['2.5', 100, 'ACTIVE', '2.5000', '10010.00', '4004.00', '8008.00', '-4004.00', '4.00'],
    // No price goes below a cent: 0.5 BTC and 3.2 ETH at a cent each are still worth 4 cents.
    ['0', 0, 'BLOCKED', '0.0000', '0.04', '4000.00', '0.00', '-4000.00', '0.00'],
  ])(
    'level %s after %i accruals → %s current %s assets %s liabilities %s power %s usd %s interest %s',
    (level, accruals, status, current, assets, liabilities, power, usd, interest) => {
      const f = figuresFor(level, accruals);
      expect([f.status, f.current, f.assets, f.liabilities, f.tradingPower, f.accruedInterest]).toEqual([
        status,
        current,
        assets,
        liabilities,
        power,
        interest,
      ]);
      expect(f.balances).toEqual([
        { currency: 'btc', net_amount: '0.50000000' },
        { currency: 'eth', net_amount: '3.20000000' },
        { currency: 'usd', net_amount: usd },
      ]);
    },
  );

  it('current is total_assets / total_liabilities truncated to 4 decimals, at any level of the walk', () => {
    for (const level of ['2.718281', '1.333333', '1.099999', '3.141592', '1.000001']) {
      for (const accruals of [0, 1, 7, 250]) {
        const f = figuresFor(level, accruals);
        const ratio = new Dec(f.assets).div(f.liabilities);
        expect(f.current).toBe(ratio.toDecimalPlaces(4, Dec.ROUND_DOWN).toFixed(4));
        expect(new Dec(f.balances[2]!.net_amount).negated().toFixed(2)).toBe(f.liabilities);
        const outcome = normalizeBitso('account', accountBody(f), ctx);
        expect(outcome.kind === 'update' && outcome.update.warnings).toBeUndefined();
      }
    }
  });

  it('the demo path crosses every band within 3 minutes and comes back', () => {
    for (const seed of [1, 7, 42]) {
      const path = new LevelPath({ seed, scenario: 'demo', high: 2.6, low: 1.0, start: 0 });
      const zones = new Set<string>();
      const statuses: string[] = [];
      for (let t = 0; t <= 180_000; t += 500) {
        const f = figuresFor(path.at(t).toFixed(6), Math.floor(t / 30_000));
        const outcome = normalizeBitso('account', accountBody(f), ctx);
        if (outcome.kind !== 'update') throw new Error('simulated body did not normalize');
        zones.add(applyUpdate(undefined, outcome.update).zone);
        if (statuses.at(-1) !== f.status) statuses.push(f.status);
      }
      expect([...zones].sort()).toEqual(['caution', 'liquidation', 'safe']);
      expect(statuses.slice(0, 3)).toEqual(['ACTIVE', 'BLOCKED', 'ACTIVE']);
    }
  });

  it('the steady scenario stays safe', () => {
    const path = new LevelPath({ seed: 3, scenario: 'steady', high: 2.6, low: 1.0, start: 0 });
    for (let t = 0; t <= 600_000; t += 1_000) {
      expect(new Dec(figuresFor(path.at(t).toFixed(6), 0).current).gt('1.5')).toBe(true);
    }
  });
});

describe('prices and the level (the simulated market)', () => {
  it('at the calm level on the opening debt the market factor is 1: the base prices', () => {
    const f = figuresFor('2.6', 0);
    expect([f.prices.btc.toFixed(2), f.prices.eth.toFixed(2)]).toEqual(['16000.00', '750.00']);
    expect(assetsAt(BASE_PRICES).toFixed(2)).toBe('10400.00');
  });

  it.each([
    ['1.3', 0, '8000.00', '375.00'],
    ['5.2', 0, '32000.00', '1500.00'],
    ['1.95', 0, '12000.00', '562.50'],
  ])('level %s scales both prices by one factor: BTC %s, ETH %s', (level, accruals, btc, eth) => {
    const f = figuresFor(level, accruals);
    expect([f.prices.btc.toFixed(2), f.prices.eth.toFixed(2)]).toEqual([btc, eth]);
  });

  it('along the walk both prices move by the same factor (within a cent of rounding) and value the assets', () => {
    const path = new LevelPath({ seed: 4, scenario: 'demo', high: 2.6, low: 1.0, start: 0 });
    for (let t = 0; t <= 150_000; t += 5_000) {
      const f = figuresFor(path.at(t).toFixed(6), Math.floor(t / 30_000));
      const btcFactor = f.prices.btc.div(BASE_PRICES.btc);
      const ethFactor = f.prices.eth.div(BASE_PRICES.eth);
      expect(btcFactor.minus(ethFactor).abs().lt('0.0002')).toBe(true);
      const valued = f.prices.btc.times('0.5').plus(f.prices.eth.times('3.2'));
      expect(f.assets).toBe(valued.toDecimalPlaces(2, Dec.ROUND_UP).toFixed(2));
    }
  });

  it('at given prices, the level is Σ held × price over the debt, truncated', () => {
    const f = figuresAt({ btc: dec('12345.67'), eth: dec('654.32') }, 0);
    // 0.5 × 12345.67 + 3.2 × 654.32 = 6172.835 + 2093.824 = 8266.659 → 8266.66 (up to the cent)
    expect([f.assets, f.liabilities, f.current, f.status]).toEqual([
      '8266.66',
      '4000.00',
      '2.0666',
      'ACTIVE',
    ]);
    const low = figuresAt({ btc: dec('4000'), eth: dec('700') }, 0);
    // 2000 + 2240 = 4240 → 1.06, below maintenance
    expect([low.assets, low.current, low.status]).toEqual(['4240.00', '1.0600', 'BLOCKED']);
  });
});

describe('parseAuthorization', () => {
  it.each([
    ['Bitso k:1:abc', { key: 'k', nonce: '1', signature: 'abc' }],
    ['Bitso k:1', null],
    ['Bearer k:1:abc', null],
    ['Bitso k:1:abc:extra', null],
    ['Bitso  k:1:abc', null],
    ['', null],
  ])('%j', (header, parsed) => {
    expect(parseAuthorization(header)).toEqual(parsed);
  });
  it('undefined header', () => expect(parseAuthorization(undefined)).toBeNull());
});

describe('RateLimiter', () => {
  it('allows the limit per window, then locks the key out for the lockout time', () => {
    const r = new RateLimiter(3, 60_000, 60_000);
    expect([r.take('k', 0), r.take('k', 1), r.take('k', 2)]).toEqual([0, 0, 0]);
    expect(r.take('other', 3)).toBe(0);
    expect(r.take('k', 10)).toBe(60_000);
    expect(r.take('k', 30_000)).toBe(30_010);
    expect(r.take('k', 60_009)).toBe(1);
    expect(r.take('k', 60_010)).toBe(0);
  });
  it('starts a new window after a minute', () => {
    const r = new RateLimiter(2, 60_000, 60_000);
    expect([r.take('k', 0), r.take('k', 1)]).toEqual([0, 0]);
    expect(r.take('k', 60_000)).toBe(0);
  });
});

describe('simulator over HTTP', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startBitsoSimulator({
      seed: 11,
      scenario: 'steady',
      account: { credentials: { apiKey: KEY, apiSecret: SECRET } },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('serves the documented account shape, which normalizes without warnings', async () => {
    const a = await call(sim, SIM_PATHS.account);
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('application/json');
    const body = a.json as { margin_levels: { current: string; safe: string; maintenance: string } };
    expect(Object.keys(body)).toEqual(['status', 'margin_levels', 'margin_figures', 'balances']);
    expect(body.margin_levels.current).toMatch(/^\d+\.\d{4}$/);
    expect([body.margin_levels.safe, body.margin_levels.maintenance]).toEqual(['1.5', '1.1']);
    const outcome = normalizeBitso('account', a.json, ctx);
    expect(outcome.kind).toBe('update');
    if (outcome.kind === 'update') {
      expect(outcome.update.warnings).toBeUndefined();
      expect(applyUpdate(undefined, outcome.update).zone).toBe('safe');
    }
  });

  it('serves currencies, movements and loans', async () => {
    const c = await call(sim, SIM_PATHS.currencies);
    expect(c.status).toBe(200);
    expect(c.json).toEqual({
      currencies: [
        { currency_code: 'btc', interest_rate: '0.000006', discount_factor: '0.9' },
        { currency_code: 'eth', interest_rate: '0.000008', discount_factor: '0.85' },
        { currency_code: 'usd', interest_rate: '0.00001', discount_factor: '1.0' },
      ],
    });
    const m = await call(sim, `${SIM_PATHS.movements}?page_size=10`);
    expect(m.status).toBe(200);
    const movements = (m.json as { movements: { type: string; amount: string }[] }).movements;
    expect(movements.filter((x) => x.type === 'DEPOSIT').map((x) => x.amount)).toEqual([
      '3.20000000',
      '0.50000000',
    ]);
    const l = await call(sim, SIM_PATHS.loans);
    expect(l.status).toBe(200);
    const loan = (l.json as { loans: Record<string, unknown>[] }).loans[0];
    expect(loan).toMatchObject({ currency: 'usd', principal: '4000.00', interest_rate: '0.00001' });
    expect(loan?.interest_rate_apy).toBe('0.09155');
  });

  it('signs the query string: a signature over the bare path is refused', async () => {
    const a = await call(sim, `${SIM_PATHS.movements}?page_size=10`, { signedPath: SIM_PATHS.movements });
    expect(a.status).toBe(401);
    expect(a.json).toEqual(envelope('0215', 'Incorrect request signature'));
  });

  it('a missing Authorization header → 401 0208 in the documented envelope', async () => {
    const a = await call(sim, SIM_PATHS.account, { authorization: null });
    expect(a.status).toBe(401);
    expect(a.json).toEqual(envelope('0208', 'Authentication required'));
  });

  it('a malformed Authorization header → 401 0208', async () => {
    const a = await call(sim, SIM_PATHS.account, { authorization: `Bitso ${KEY}:123` });
    expect(a.status).toBe(401);
    expect(a.json).toEqual(envelope('0208', 'Authentication required'));
  });

  it('an unknown key → 401 0201 "Invalid Nonce or Invalid Credentials"', async () => {
    const a = await call(sim, SIM_PATHS.account, { key: 'someone-else' });
    expect(a.status).toBe(401);
    expect(a.json).toEqual(INVALID_0201);
  });

  it('a wrong secret → 401 0215', async () => {
    const a = await call(sim, SIM_PATHS.account, { secret: 'wrong-secret' });
    expect(a.status).toBe(401);
    expect(a.json).toEqual(envelope('0215', 'Incorrect request signature'));
  });

  it('a reused nonce → 401 0201; a lower one too; a higher one passes', async () => {
    const n = nextNonce();
    expect((await call(sim, SIM_PATHS.account, { nonce: n })).status).toBe(200);
    const reused = await call(sim, SIM_PATHS.account, { nonce: n });
    expect(reused.status).toBe(401);
    expect(reused.json).toEqual(INVALID_0201);
    const lower = await call(sim, SIM_PATHS.account, { nonce: String(Number(n) - 5) });
    expect(lower.status).toBe(401);
    expect(codeOf(lower.json)).toBe('0201');
    expect((await call(sim, SIM_PATHS.account)).status).toBe(200);
  });

  it('a nonce-v2 style 19-digit nonce is accepted, and then ms nonces are lower', async () => {
    const big = '9731349200123456789';
    expect((await call(sim, SIM_PATHS.account, { nonce: big })).status).toBe(200);
    const after = await call(sim, SIM_PATHS.account);
    expect(after.status).toBe(401);
    expect(codeOf(after.json)).toBe('0201');
  });

  it('a refused signature does not consume the nonce', async () => {
    const other = await startBitsoSimulator({
      seed: 1,
      scenario: 'steady',
      account: { credentials: { apiKey: KEY, apiSecret: SECRET } },
    });
    try {
      const n = nextNonce();
      expect((await call(other, SIM_PATHS.account, { nonce: n, secret: 'x' })).status).toBe(401);
      expect((await call(other, SIM_PATHS.account, { nonce: n })).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('a non-numeric nonce → 401 0206', async () => {
    const a = await call(sim, SIM_PATHS.account, { nonce: 'abc' });
    expect(a.status).toBe(401);
    expect(a.json).toEqual(envelope('0206', 'Invalid nonce type'));
  });

  it('writes are refused (405) and unknown paths are 404', async () => {
    const post = await call(sim, SIM_PATHS.movements, { method: 'POST' });
    expect(post.status).toBe(405);
    expect((post.json as { errors: { code: string }[] }).errors[0]?.code).toBe('method_not_allowed');
    const missing = await call(sim, '/v3/balance');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual(errors('not_found', 'Resource not found'));
  });
});

describe('simulator faults', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startBitsoSimulator({
      seed: 5,
      scenario: 'demo',
      timeScale: 0.1,
      account: { credentials: { apiKey: KEY, apiSecret: SECRET } },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('revoke → 401 0201 even when correctly signed; restore → 200', async () => {
    sim.control({ kind: 'revoke' });
    const a = await call(sim, SIM_PATHS.account);
    expect(a.status).toBe(401);
    expect(a.json).toEqual(INVALID_0201);
    sim.control({ kind: 'restore' });
    expect((await call(sim, SIM_PATHS.account)).status).toBe(200);
  });

  it('set-level pins the level exactly; BLOCKED below maintenance; resume-walk moves again', async () => {
    sim.control({ kind: 'set-level', level: '1.05' });
    const a = await call(sim, SIM_PATHS.account);
    const body = a.json as { status: string; margin_levels: { current: string } };
    expect(body.margin_levels.current).toBe('1.0500');
    expect(body.status).toBe('BLOCKED');
    sim.control({ kind: 'set-level', level: '1.8' });
    const b = (await call(sim, SIM_PATHS.account)).json as {
      status: string;
      margin_levels: { current: string };
    };
    expect([b.status, b.margin_levels.current]).toEqual(['ACTIVE', '1.8000']);
    sim.control({ kind: 'resume-walk' });
    const c = (await call(sim, SIM_PATHS.account)).json as { margin_levels: { current: string } };
    expect(c.margin_levels.current).not.toBe('1.8000');
  });

  it('liquidating forces BLOCKED (or ACTIVE) whatever the level; null follows the level again', async () => {
    const statusOf = async () => ((await call(sim, SIM_PATHS.account)).json as { status: string }).status;
    sim.control({ kind: 'set-level', level: '2.5' });
    sim.control({ kind: 'liquidating', on: true });
    const blocked = (await call(sim, SIM_PATHS.account)).json;
    expect((blocked as { status: string }).status).toBe('BLOCKED');
    expect(applyUpdate(undefined, update(blocked)).zone).toBe('liquidation');
    sim.control({ kind: 'set-level', level: '1.05' });
    sim.control({ kind: 'liquidating', on: false });
    expect(await statusOf()).toBe('ACTIVE');
    sim.control({ kind: 'liquidating', on: null });
    expect(await statusOf()).toBe('BLOCKED');
    sim.control({ kind: 'resume-walk' });
  });

  it('the control route accepts the same commands over HTTP', async () => {
    const res = await fetch(`${sim.url}/__sim/control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'set-level', level: '2.25' }),
    });
    expect(res.status).toBe(200);
    const a = (await call(sim, SIM_PATHS.account)).json as { margin_levels: { current: string } };
    expect(a.margin_levels.current).toBe('2.2500');
    sim.control({ kind: 'resume-walk' });
  });

  it('http-error answers the next N requests with that status, then recovers', async () => {
    sim.control({ kind: 'http-error', status: 503, count: 2 });
    const first = await call(sim, SIM_PATHS.account);
    const second = await call(sim, SIM_PATHS.account);
    expect([first.status, second.status]).toEqual([503, 503]);
    expect(first.json).toEqual(errors('internal_error', 'Service temporarily unavailable'));
    expect((await call(sim, SIM_PATHS.account)).status).toBe(200);
  });

  it('http-error 429 carries the rate-limit body and Retry-After', async () => {
    sim.control({ kind: 'http-error', status: 429, count: 1 });
    const a = await call(sim, SIM_PATHS.account);
    expect(a.status).toBe(429);
    expect(a.headers.get('retry-after')).toBe('1');
    expect(a.json).toEqual(errors('too_many_requests', 'Rate limit exceeded; try again in 1 s'));
  });

  it('malformed: the next body is not JSON (and normalizes to an error); then normal again', async () => {
    sim.control({ kind: 'malformed' });
    const a = await call(sim, SIM_PATHS.account);
    expect(a.status).toBe(200);
    expect(a.json).toBeUndefined();
    const outcome = normalizeBitso('account', a.text, ctx);
    expect(outcome.kind === 'error' && outcome.error.field).toBe('(message)');
    const b = await call(sim, SIM_PATHS.account);
    expect(b.json).toBeDefined();
  });

  it('bad-schema: the next body lacks margin_levels', async () => {
    sim.control({ kind: 'bad-schema' });
    const a = await call(sim, SIM_PATHS.account);
    expect(a.status).toBe(200);
    expect(a.json).not.toHaveProperty('margin_levels');
    const outcome = normalizeBitso('account', a.json, ctx);
    expect(outcome.kind === 'error' && [outcome.error.exchange, outcome.error.field]).toEqual([
      'bitso',
      'margin_levels',
    ]);
    expect((await call(sim, SIM_PATHS.account)).json).toHaveProperty('margin_levels');
  });

  it('silence: requests hang until the client gives up; un-silenced requests are answered', async () => {
    sim.control({ kind: 'silence', on: true });
    const started = Date.now();
    await expect(call(sim, SIM_PATHS.account, { timeoutMs: 300 })).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    sim.control({ kind: 'silence', on: false });
    expect((await call(sim, SIM_PATHS.account)).status).toBe(200);
  });

  it('silence off answers the requests still waiting (a long delay, not a loss)', async () => {
    sim.control({ kind: 'silence', on: true });
    const started = Date.now();
    const pending = call(sim, SIM_PATHS.account, { timeoutMs: 5_000 });
    await pause(300);
    sim.control({ kind: 'silence', on: false });
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(answer.json).toHaveProperty('margin_levels');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('drop closes every connection, including a request in flight', async () => {
    sim.control({ kind: 'silence', on: true });
    const pending = call(sim, SIM_PATHS.account, { timeoutMs: 5_000 });
    await pause(100);
    sim.control({ kind: 'drop' });
    await expect(pending).rejects.toThrow();
    sim.control({ kind: 'silence', on: false });
    expect((await call(sim, SIM_PATHS.account)).status).toBe(200);
  });

  it('interest accrues over time (debt grows)', async () => {
    const before = (await call(sim, SIM_PATHS.loans)).json as { loans: { accrued_interest: string }[] };
    await pause(3_100);
    const after = (await call(sim, SIM_PATHS.loans)).json as { loans: { accrued_interest: string }[] };
    expect(dec(after.loans[0]!.accrued_interest).gt(dec(before.loans[0]!.accrued_interest))).toBe(true);
  });
});

describe('rate limit over HTTP', () => {
  it('the 301st request within the window → 429 with Retry-After and the error body', async () => {
    const sim = await startBitsoSimulator({
      seed: 2,
      scenario: 'steady',
      timeScale: 0.5,
      account: { credentials: { apiKey: KEY, apiSecret: SECRET } },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 300; i += 1) statuses.push((await call(sim, SIM_PATHS.currencies)).status);
      expect(statuses.every((s) => s === 200)).toBe(true);
      const limited = await call(sim, SIM_PATHS.account);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('30');
      expect(limited.json).toEqual(errors('too_many_requests', 'Rate limit exceeded; try again in 30 s'));
      const still = await call(sim, SIM_PATHS.account);
      expect(still.status).toBe(429);
    } finally {
      await sim.close();
    }
  });
});

async function ticker(sim: RunningSimulator, book: string | null): Promise<Answer> {
  const path = book === null ? '/v3/ticker/' : `/${bitsoTicker.path(book)}`;
  const res = await fetch(`${sim.url}${path}`, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as unknown, headers: res.headers };
}

async function priceOf(sim: RunningSimulator, currency: string): Promise<Dec> {
  const answer = await ticker(sim, bitsoTicker.pair(currency, 'usd'));
  const outcome = parseBitsoTicker(answer.status, answer.json);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.price;
}

async function account(sim: RunningSimulator) {
  return (await call(sim, SIM_PATHS.account)).json as {
    status: string;
    margin_levels: { current: string };
    margin_figures: { total_assets: string; total_liabilities: string };
  };
}

describe('public ticker and set-price', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startBitsoSimulator({
      seed: 8,
      scenario: 'demo',
      timeScale: 0.1,
      account: { credentials: { apiKey: KEY, apiSecret: SECRET } },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('serves btc_usd and eth_usd without credentials, in the v3 envelope, at the prices the assets are valued at', async () => {
    sim.control({ kind: 'set-level', level: '2.6' });
    const answer = await ticker(sim, 'btc_usd');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ success: true, payload: { book: 'btc_usd', last: '16000.00' } });
    expect((await priceOf(sim, 'eth')).toFixed(2)).toBe('750.00');
    const a = await account(sim);
    const btc = await priceOf(sim, 'btc');
    const eth = await priceOf(sim, 'eth');
    const valued = btc.times('0.5').plus(eth.times('3.2')).toDecimalPlaces(2, Dec.ROUND_UP);
    expect(a.margin_figures.total_assets).toBe(valued.toFixed(2));
    sim.control({ kind: 'resume-walk' });
  });

  it('an unknown or missing book → HTTP 400 with the error envelope, read as unlisted', async () => {
    for (const book of ['xrp_usd', 'btc_mxn', 'usd_usd', null]) {
      const answer = await ticker(sim, book);
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual(envelope('0301', 'Unknown OrderBook'));
      expect(parseBitsoTicker(answer.status, answer.json)).toMatchObject({ ok: false, unlisted: true });
    }
  });

  it('the ticker is not touched by the faults meant for the private API', async () => {
    sim.control({ kind: 'http-error', status: 503, count: 1 });
    expect((await ticker(sim, 'btc_usd')).status).toBe(200);
    expect((await call(sim, SIM_PATHS.account)).status).toBe(503);
  });

  it('set-price holds every price still, sets the one given, and the level follows from balances × prices', async () => {
    sim.control({ kind: 'set-level', level: '1.95' });
    sim.control({ kind: 'set-price', currency: 'BTC', price: '10000' });
    expect((await priceOf(sim, 'btc')).toFixed(2)).toBe('10000.00');
    expect((await priceOf(sim, 'eth')).toFixed(2)).toBe('562.50');
    const a = await account(sim);
    // 0.5 × 10000 + 3.2 × 562.50 = 6800.00 over the debt
    expect(a.margin_figures.total_assets).toBe('6800.00');
    const level = dec('6800').div(a.margin_figures.total_liabilities).toDecimalPlaces(4, Dec.ROUND_DOWN);
    expect(a.margin_levels.current).toBe(level.toFixed(4));
    // The demo walk would have moved by now (timeScale 0.1: a step every 50 ms); the prices hold still.
    await pause(300);
    expect((await priceOf(sim, 'btc')).toFixed(2)).toBe('10000.00');
    expect((await priceOf(sim, 'eth')).toFixed(2)).toBe('562.50');
    sim.control({ kind: 'set-price', currency: 'eth', price: '300.004' });
    expect((await priceOf(sim, 'eth')).toFixed(2)).toBe('300.00');
    expect((await priceOf(sim, 'btc')).toFixed(2)).toBe('10000.00');
    expect((await account(sim)).margin_figures.total_assets).toBe('5960.00');
  });

  it('a price that takes the level below maintenance blocks the account', async () => {
    sim.control({ kind: 'set-level', level: '2' });
    sim.control({ kind: 'set-price', currency: 'btc', price: '2000' });
    sim.control({ kind: 'set-price', currency: 'eth', price: '1000' });
    const a = await account(sim);
    // 1000 + 3200 = 4200 → about 1.05
    expect(a.margin_figures.total_assets).toBe('4200.00');
    expect(a.status).toBe('BLOCKED');
  });

  it('a currency the account does not hold changes nothing', async () => {
    sim.control({ kind: 'set-level', level: '2' });
    const before = await account(sim);
    sim.control({ kind: 'set-price', currency: 'xrp', price: '1' });
    sim.control({ kind: 'set-price', currency: 'usd', price: '2' });
    expect((await account(sim)).margin_levels.current).toBe(before.margin_levels.current);
  });

  it('set-level after set-price drives the level again; resume-walk releases the prices', async () => {
    sim.control({ kind: 'set-price', currency: 'btc', price: '9000' });
    sim.control({ kind: 'set-level', level: '2.25' });
    expect((await account(sim)).margin_levels.current).toBe('2.2500');
    sim.control({ kind: 'set-price', currency: 'btc', price: '9000' });
    const held = await priceOf(sim, 'eth');
    sim.control({ kind: 'resume-walk' });
    await pause(300);
    const moved = [await priceOf(sim, 'btc'), await priceOf(sim, 'eth')];
    expect(moved[0]!.eq('9000')).toBe(false);
    expect(moved[1]!.eq(held)).toBe(false);
  });
});

describe('round trip: the estimated move, applied in the simulator, brings the level to the line', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startBitsoSimulator({
      seed: 21,
      scenario: 'steady',
      account: { credentials: { apiKey: KEY, apiSecret: SECRET } },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  /** The account as the proxy reads it (normalized) and every non-reference currency valued at its ticker. */
  async function reading() {
    const u = update((await call(sim, SIM_PATHS.account)).json);
    const risk = u.risk;
    if (!risk?.totals?.assets || !risk.totals.liabilities || risk.level.kind !== 'value') {
      throw new Error('the account did not report a level with totals');
    }
    const reference = risk.totals.currency;
    const positions: ValuedPosition[] = [];
    for (const row of u.balances ?? []) {
      if (row.currency === reference) continue;
      const amounts = heldOwedOf(row);
      if (!amounts) throw new Error(`${row.currency} holds and owes nothing readable`);
      positions.push(valuePosition(row.currency, amounts, await priceOf(sim, row.currency)));
    }
    const estimate = estimateMoves(risk.totals.assets, risk.totals.liabilities, positions, risk.bands);
    const line = (kind: 'caution' | 'liquidation') => {
      const band = risk.bands.find((b) => b.kind === kind);
      if (!band) throw new Error(`no ${kind} line`);
      return band.threshold;
    };
    return { level: risk.level.value, positions, estimate, line };
  }

  function moveOf(moves: LineMoves | null | undefined, key: keyof LineMoves): Dec {
    const move = moves?.[key];
    if (move === null || move === undefined) throw new Error(`no move to ${key}`);
    return move;
  }

  /** Holds the market still (the steady walk moves prices every half second) at its current prices. */
  async function holdStill(): Promise<void> {
    sim.control({ kind: 'resume-walk' });
    sim.control({ kind: 'set-price', currency: 'btc', price: (await priceOf(sim, 'btc')).toFixed() });
  }

  function expectOnLine(level: Dec, line: Dec): void {
    const gap = level.minus(line).div(line).abs();
    expect(gap.lte('0.005'), `level ${level.toFixed()} vs line ${line.toFixed()}`).toBe(true);
  }

  it.each([
    ['toLiquidation', 'liquidation'],
    ['toMarginCall', 'caution'],
  ] as const)('BTC alone: %s', async (key, kind) => {
    await holdStill();
    const before = await reading();
    const line = before.line(kind);
    // Far from the line to start with: the move has real work to do.
    expect(before.level.minus(line).div(line).gt('0.3')).toBe(true);
    const move = moveOf(
      before.estimate.moves.find((m) => m.currency === 'btc'),
      key,
    );
    expect(move.isNegative()).toBe(true);
    const btc = before.positions.find((p) => p.currency === 'btc')!;
    sim.control({ kind: 'set-price', currency: 'btc', price: btc.price.times(move.plus(1)).toFixed() });
    const after = await reading();
    expectOnLine(after.level, line);
    // ETH held still while BTC moved.
    expect(after.positions.find((p) => p.currency === 'eth')?.price.eq(before.positions[1]!.price)).toBe(
      true,
    );
  });

  it.each([
    ['toLiquidation', 'liquidation'],
    ['toMarginCall', 'caution'],
  ] as const)('the whole market: %s', async (key, kind) => {
    await holdStill();
    const before = await reading();
    const line = before.line(kind);
    expect(before.level.minus(line).div(line).gt('0.3')).toBe(true);
    const move = moveOf(before.estimate.market, key);
    for (const p of before.positions) {
      sim.control({ kind: 'set-price', currency: p.currency, price: p.price.times(move.plus(1)).toFixed() });
    }
    expectOnLine((await reading()).level, line);
  });

  it('ETH alone cannot bring this account to liquidation: no move is given', async () => {
    await holdStill();
    const before = await reading();
    expect(before.estimate.moves.find((m) => m.currency === 'eth')?.toLiquidation).toBeNull();
  });
});
