// BitoPro's side of the margin protocol on loopback (proxy-only): signed REST reads under /v3 and the private
// account stream /ws/v1/pub/auth/margin/account-info, with the exchange's header auth, its ping keep-alive and
// an account whose AD ratio moves because the BTC mark price moves while interest accrues; and the public
// ticker GET /v3/tickers/<pair> (btc_usdt, eth_usdt) without credentials, at the prices the account is valued at.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { Dec, dec } from '../../domain/decimal.ts';
import { scaled } from '../kit/backoff.ts';
import { constantTimeEqual } from '../kit/signing.ts';
import {
  Faults,
  LevelPath,
  type DemoLevels,
  NonceGuard,
  gaussian,
  header,
  seededRandom,
  sendJson,
  simSend,
  startSimServer,
} from '../kit/simkit.ts';
import type { RunningSimulator, SimControl, SimScenario, SimulatorOptions } from '../server-types.ts';
import { HEADER_APIKEY, HEADER_PAYLOAD, HEADER_SIGNATURE, bitoproCredentials, signPayload } from './sign.ts';
import { MARGIN_BALANCE_INFO } from './wire.ts';

/** REST base path: endpoints.rest = `${url}/v3`, as at api.bitopro.com. */
export const SIM_REST_BASE = '/v3';
/** The public tickers' path prefix: GET /v3/tickers/<pair>. */
export const TICKER_PREFIX = `${SIM_REST_BASE}/tickers/`;
/** The private margin account stream's path, as at stream.bitopro.com. */
export const SIM_WS_PATH = '/ws/v1/pub/auth/margin/account-info';
/** The exchange pings every 20 s and drops a client that has not answered within 5 s (doc ws/summary.md). */
export const PING_INTERVAL_MS = 20_000;
export const PONG_TIMEOUT_MS = 5_000;
/** Push cadence of the simulated stream (BitoPro's own cadence is not documented). */
export const PUSH_INTERVAL_MS = 2_000;
/** How far ahead of the server clock a nonce may be. BitoPro's window is UNCONFIRMED; 60 s is assumed. */
export const NONCE_FUTURE_WINDOW_MS = 60_000;

/** Error bodies BitoPro answers with. */
export const INVALID_SIGNATURE = { error: 'Invalid Signature' } as const;
/** A deleted (revoked) or unknown API key (README: 401 "Unauthorized api key"). */
export const UNAUTHORIZED_KEY = { error: 'Unauthorized api key' } as const;
/**
 * BitoPro's only documented nonce answer (409). Whether a nonce that is not increasing gets other words is
 * UNCONFIRMED, so the simulator answers both a clock mismatch and a reused nonce with it.
 */
export const TIME_MISMATCH = { error: 'Local Machine Time Mismatch' } as const;
export const TOO_MANY_REQUESTS = { error: 'too many requests' } as const;
export const NOT_FOUND = { error: 'Not Found' } as const;

const YEAR_MS = dec('31536000000');
const ROUND_DOWN = Dec.ROUND_DOWN;

interface Holding {
  currency: string;
  available: Dec;
  traded: Dec;
  borrow: Dec;
  /** Interest owed at the start of the simulation; it grows from there. */
  interest: Dec;
  /** Annual interest in percent, as /margin/provisioning/borrow reports it. */
  annualPercent: string;
}

/** Simulated account composition: BTC collateral with a small BTC loan, a large USDT loan, some ETH and USDT. */
const HOLDINGS: { BTC: Holding; ETH: Holding; USDT: Holding } = {
  BTC: {
    currency: 'BTC',
    available: dec('10.50000000'),
    traded: dec('0.25000000'),
    borrow: dec('0.50000000'),
    interest: dec('0.00010000'),
    annualPercent: '2',
  },
  ETH: {
    currency: 'ETH',
    available: dec('5.00000000'),
    traded: dec('0.00000000'),
    borrow: dec('0.00000000'),
    interest: dec('0.00000000'),
    annualPercent: '3',
  },
  USDT: {
    currency: 'USDT',
    available: dec('5000.00000000'),
    traded: dec('0.00000000'),
    borrow: dec('250000.00000000'),
    interest: dec('12.34567890'),
    annualPercent: '8',
  },
};

/** A holding at `elapsed` ms after the start: interest accrued on the loan, 8 decimals, rounded down. */
function accrue(h: Holding, elapsed: Dec, price: Dec): SimRow {
  return {
    currency: h.currency,
    price,
    available: h.available,
    traded: h.traded,
    total: h.available.plus(h.traded),
    borrow: h.borrow,
    interest: h.interest
      .plus(h.borrow.times(h.annualPercent).div(100).times(elapsed).div(YEAR_MS))
      .toDecimalPlaces(8, ROUND_DOWN),
  };
}

/**
 * The demo's levels: a calm account drifts around 3.0; the approaching one sinks through the demo config's
 * margin-call line (1.5, server.ts) towards its liquidation line (1.1).
 */
export const DEMO_LEVELS: DemoLevels = { high: 3, low: 1, marginCall: 1.5, liquidation: 1.1 };

/** Levels the price model can reach with this composition; the path is clamped into this range. */
const MIN_LEVEL = dec('0.3');
const MAX_LEVEL = dec('15');

export interface SimRow {
  currency: string;
  price: Dec;
  available: Dec;
  traded: Dec;
  total: Dec;
  borrow: Dec;
  interest: Dec;
}

/** One consistent state of the simulated account. */
export interface SimFigures {
  time: number;
  rows: SimRow[];
  /** Σ total × mark price, in USDT, 8 decimals. */
  assets: Dec;
  /** Σ (borrow + interest) × mark price, in USDT, 8 decimals. */
  debt: Dec;
  /** assets / debt truncated to 2 decimals, as BitoPro computes it. */
  adRatio: Dec;
}

export interface SimAccountOptions {
  seed: number;
  scenario: SimScenario;
  /** Start of the account's history (ms epoch). */
  start: number;
  /** Shrinks the demo cycle with the protocol intervals (tests). */
  timeScale?: number;
}

/** The currencies the account holds that have a price in USDT (the reference currency). */
export const PRICED_CURRENCIES = ['BTC', 'ETH'] as const;
export type PricedCurrency = (typeof PRICED_CURRENCIES)[number];
/** The calculation unit: every price is in it and its own price is 1. */
export const REFERENCE = 'USDT';

/** Prices written as BitoPro writes amounts: 8 decimals. */
const PRICE_DECIMALS = 8;

/** The currency a ticker pair (`btc_usdt`, any case) names, when the simulated account holds it. */
export function pricedCurrencyOfPair(pair: string): PricedCurrency | null {
  const match = /^([a-z]+)_usdt$/.exec(pair.toLowerCase());
  const currency = match?.[1]?.toUpperCase();
  return (PRICED_CURRENCIES as readonly string[]).includes(currency ?? '')
    ? (currency as PricedCurrency)
    : null;
}

/** GET /v3/tickers/<pair> body for one held currency at its price (the documented fields). */
export function tickerBody(currency: PricedCurrency, price: Dec): Record<string, unknown> {
  const last = price.toFixed(PRICE_DECIMALS);
  return {
    data: {
      pair: `${currency.toLowerCase()}_${REFERENCE.toLowerCase()}`,
      priceChange24hr: '0',
      volume24hr: '0.00000000',
      isBuyer: false,
      lastPrice: last,
      high24hr: last,
      low24hr: last,
    },
  };
}

/**
 * The simulated margin account. Its figures are a pure function of the seed, the start time and the time asked
 * for (plus a pinned level or held prices, if any): the AD ratio follows a LevelPath (see SimScenario and
 * DEMO_LEVELS), the BTC mark price is solved so that assets / debt lands on that level, ETH drifts on its own,
 * and interest accrues on the loans at the rates /margin/provisioning/borrow reports. After `setPrice` every
 * price holds still and the AD ratio follows from balances × prices.
 */
export class BitoproSimAccount {
  private readonly path: LevelPath;
  private readonly ethRandom: () => number;
  private readonly stepMs: number;
  private ethSteps = 0;
  private ethWalk = 0;
  private pinned: Dec | null = null;
  /** Prices held still by setPrice, or null. */
  private still: Record<PricedCurrency, Dec> | null = null;

  constructor(private readonly options: SimAccountOptions) {
    const timeScale = options.timeScale ?? 1;
    this.stepMs = Math.max(5, Math.round(500 * timeScale));
    this.path = new LevelPath({
      seed: options.seed,
      scenario: options.scenario,
      ...DEMO_LEVELS,
      timeScale,
      periodMs: Math.max(1_000, Math.round(150_000 * timeScale)),
      stepMs: this.stepMs,
      start: options.start,
    });
    this.ethRandom = seededRandom((options.seed ^ 0x5eed) >>> 0);
  }

  /** Pins the AD ratio (set-level), or returns to the path with null (resume-walk, which also releases prices). */
  pin(level: Dec | null): void {
    this.pinned = level;
    this.still = null;
  }

  /**
   * From time `t` on, every price holds still where it is and `currency` (BTC or ETH, any case) is at `price`
   * (8 decimals). A currency without a price of its own (USDT) or not held is ignored.
   */
  setPrice(currency: string, price: Dec, t: number): void {
    const code = currency.toUpperCase();
    if (!(PRICED_CURRENCIES as readonly string[]).includes(code)) return;
    const now = this.figures(t);
    const still = { BTC: this.priceIn(now, 'BTC'), ETH: this.priceIn(now, 'ETH') };
    still[code as PricedCurrency] = Dec.max(
      new Dec(10).pow(-PRICE_DECIMALS),
      price.toDecimalPlaces(PRICE_DECIMALS, ROUND_DOWN),
    );
    this.still = still;
    this.pinned = null;
  }

  private priceIn(f: SimFigures, currency: PricedCurrency): Dec {
    const row = f.rows.find((r) => r.currency === currency);
    if (!row) throw new Error(`no ${currency} row`);
    return row.price;
  }

  private ethPrice(t: number): Dec {
    const target = Math.max(0, Math.floor((t - this.options.start) / this.stepMs));
    while (this.ethSteps < target) {
      this.ethSteps += 1;
      this.ethWalk = Math.max(-0.5, Math.min(0.5, 0.98 * this.ethWalk + 0.004 * gaussian(this.ethRandom)));
    }
    return new Dec((3000 * Math.exp(this.ethWalk)).toFixed(2));
  }

  private targetLevel(t: number): Dec {
    const raw = this.pinned ?? new Dec(this.path.at(t).toFixed(6));
    const clamped = Dec.max(MIN_LEVEL, Dec.min(MAX_LEVEL, raw));
    // Aim at the middle of the 2-decimal bucket so the truncated ratio is exactly the wanted level.
    return clamped.toDecimalPlaces(2, ROUND_DOWN).plus('0.005');
  }

  /** The account at time `t` (ms epoch). Times should not go backwards. */
  figures(t: number): SimFigures {
    const elapsed = new Dec(String(Math.max(0, t - this.options.start)));
    if (this.still) {
      const rows: SimRow[] = [
        accrue(HOLDINGS.BTC, elapsed, this.still.BTC),
        accrue(HOLDINGS.ETH, elapsed, this.still.ETH),
        accrue(HOLDINGS.USDT, elapsed, dec('1')),
      ];
      return valued(t, rows);
    }
    const ethPrice = this.ethPrice(t);
    const eth = accrue(HOLDINGS.ETH, elapsed, ethPrice);
    const usdt = accrue(HOLDINGS.USDT, elapsed, dec('1'));
    const btcAtZero = accrue(HOLDINGS.BTC, elapsed, dec('0'));
    // Solve the BTC price P for the target level:
    // level = (btc.total·P + eth.total·E + usdt.total) / ((btc.borrow + btc.interest)·P + usdt.borrow + usdt.interest)
    const level = this.targetLevel(t);
    const numerator = level
      .times(usdt.borrow.plus(usdt.interest))
      .minus(eth.total.times(ethPrice))
      .minus(usdt.total);
    const denominator = btcAtZero.total.minus(level.times(btcAtZero.borrow.plus(btcAtZero.interest)));
    const btcPrice = Dec.max(dec('0.01'), numerator.div(denominator).toDecimalPlaces(2));
    return valued(t, [{ ...btcAtZero, price: btcPrice }, eth, usdt]);
  }
}

/** The account's figures for these rows: assets and debt valued at each row's price, the AD ratio from them. */
function valued(time: number, rows: SimRow[]): SimFigures {
  let assets = new Dec(0);
  let debt = new Dec(0);
  for (const row of rows) {
    assets = assets.plus(row.total.times(row.price));
    debt = debt.plus(row.borrow.plus(row.interest).times(row.price));
  }
  assets = assets.toDecimalPlaces(8, ROUND_DOWN);
  debt = debt.toDecimalPlaces(8, ROUND_DOWN);
  return { time, rows, assets, debt, adRatio: assets.div(debt).toDecimalPlaces(2, ROUND_DOWN) };
}

const ACCOUNT_ID = '5411716254';

function accountFields(f: SimFigures): Record<string, unknown> {
  return {
    adRatio: f.adRatio.toFixed(2),
    // The only label value ever documented; others are unknown, so the simulator keeps this one.
    adRatioLabel: 'SAFETY_THRESHOLD',
    accountID: ACCOUNT_ID,
    accountStatus: 1,
    marginStatus: 1,
  };
}

/** GET /margin/balances body for these figures (field order as in the doc). */
export function balancesBody(f: SimFigures): Record<string, unknown> {
  const balances: Record<string, unknown> = {};
  for (const row of f.rows) {
    balances[row.currency] = {
      availableAmount: row.available.toFixed(8),
      tradedAmount: row.traded.toFixed(8),
      borrowAmount: row.borrow.toFixed(8),
      borrowInterestAmount: row.interest.toFixed(8),
      borrowStatus: 1,
      transferStatus: 1,
      totalAmount: row.total.toFixed(8),
    };
  }
  return {
    ...accountFields(f),
    balances,
    calculateUnit: 'USDT',
    totalAssetAmount: f.assets.toFixed(8),
    totalDebtAmount: f.debt.toFixed(8),
  };
}

/** A MARGIN_BALANCE_INFO push for these figures; `action` only where the exchange documents one (MARGIN_INIT). */
export function pushBody(f: SimFigures, action?: string): Record<string, unknown> {
  const balances: Record<string, unknown> = {};
  for (const row of f.rows) {
    balances[row.currency] = {
      borrowAmount: row.borrow.toFixed(8),
      borrowInterestAmount: row.interest.toFixed(8),
    };
  }
  return {
    event: MARGIN_BALANCE_INFO,
    timestamp: f.time,
    datetime: new Date(f.time).toISOString(),
    data: {
      ...accountFields(f),
      balances,
      calculateUnit: 'USDT',
      totalAssetAmount: f.assets.toFixed(8),
      totalDebtAmount: f.debt.toFixed(8),
      ...(action === undefined ? {} : { action }),
      timestamp: f.time,
    },
  };
}

/** GET /margin/mark-price body. */
export function markPriceBody(f: SimFigures): Record<string, unknown> {
  const tokenPrices: Record<string, unknown> = {};
  for (const row of f.rows)
    tokenPrices[row.currency] = { currency: row.currency, price: row.price.toFixed(2) };
  return { tokenPrices };
}

/** GET /margin/provisioning/borrow body. */
export function provisioningBody(): Record<string, unknown> {
  const limits: Record<string, [string, string, string]> = {
    BTC: ['100.00000000', '5.00000000', '42.12345678'],
    ETH: ['2000.00000000', '100.00000000', '512.50000000'],
    USDT: ['10000000.00000000', '500000.00000000', '3141592.65358979'],
  };
  const body: Record<string, unknown> = {};
  for (const h of Object.values(HOLDINGS)) {
    const [maxSystem, maxUser, borrowed] = limits[h.currency] ?? ['0', '0', '0'];
    body[h.currency] = {
      currency: h.currency,
      maxSystemAmount: maxSystem,
      maxUserAmount: maxUser,
      systemBorrowedAmount: borrowed,
      systemAvailableBorrowAmount: dec(maxSystem).minus(borrowed).toFixed(8),
      borrowStatus: 1,
      transferStatus: 1,
      annualInterestPercentage: h.annualPercent,
    };
  }
  return body;
}

const payloadSchema = z.object({ identity: z.string(), nonce: z.number().int().nonnegative() });

export interface AuthCheck {
  credentials: { apiKey: string; apiSecret: string; identity: string };
  faults: Faults;
  nonces: NonceGuard;
  now(): number;
}

/**
 * Checks BitoPro's auth headers as the exchange does: the HMAC over the payload header exactly as received, then
 * the payload decoded with either base64 alphabet, the identity, and the nonce (strictly increasing per key, at
 * most NONCE_FUTURE_WINDOW_MS ahead). Returns null when accepted, else the status and body to refuse with.
 */
export function checkAuth(req: IncomingMessage, check: AuthCheck): { status: number; body: object } | null {
  const refuse = { status: 401, body: INVALID_SIGNATURE };
  const apiKey = header(req, HEADER_APIKEY);
  const payload = header(req, HEADER_PAYLOAD);
  const signature = header(req, HEADER_SIGNATURE);
  if (apiKey === undefined || payload === undefined || signature === undefined) return refuse;
  if (check.faults.revoked || !constantTimeEqual(apiKey, check.credentials.apiKey)) {
    return { status: 401, body: UNAUTHORIZED_KEY };
  }
  if (!constantTimeEqual(signature.toLowerCase(), signPayload(check.credentials.apiSecret, payload)))
    return refuse;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(payload)) return refuse;
  let decoded: unknown;
  try {
    decoded = JSON.parse(
      Buffer.from(payload.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'),
    );
  } catch {
    return refuse;
  }
  const parsed = payloadSchema.safeParse(decoded);
  if (!parsed.success || parsed.data.identity !== check.credentials.identity) return refuse;
  if (parsed.data.nonce > check.now() + NONCE_FUTURE_WINDOW_MS) return { status: 409, body: TIME_MISMATCH };
  if (check.nonces.check(apiKey, parsed.data.nonce) !== 'ok') return { status: 409, body: TIME_MISMATCH };
  return null;
}

/** A truncated frame: what a `malformed` fault sends. */
const MALFORMED_FRAME = '{"event":"MARGIN_BALANCE_INFO","timestamp":17213812';

/** A well-formed push with a wrong schema: accountStatus as a string, totalDebtAmount missing. */
function badSchemaPush(f: SimFigures): Record<string, unknown> {
  const body = pushBody(f);
  const data: Record<string, unknown> = { ...(body.data as Record<string, unknown>), accountStatus: '1' };
  delete data.totalDebtAmount;
  return { ...body, data };
}

/** A well-formed balances answer with a wrong schema: the same two mistakes. */
function badSchemaBalances(f: SimFigures): Record<string, unknown> {
  const body: Record<string, unknown> = { ...balancesBody(f), accountStatus: '1' };
  delete body.totalDebtAmount;
  return body;
}

interface Client {
  ws: WebSocket;
  initSent: boolean;
  ping: ReturnType<typeof setInterval>;
  pong?: ReturnType<typeof setTimeout>;
}

/** Starts a BitoPro simulator on loopback. */
export async function startBitoproSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const timeScale = options.timeScale ?? 1;
  const credentials = bitoproCredentials(options.account.credentials);
  const faults = new Faults();
  const auth: AuthCheck = { credentials, faults, nonces: new NonceGuard(), now: Date.now };
  const account = new BitoproSimAccount({
    seed: options.seed,
    scenario: options.scenario,
    start: Date.now(),
    timeScale,
  });
  const clients = new Set<Client>();

  function frame(): string {
    const figures = account.figures(Date.now());
    if (faults.takeMalformed()) return MALFORMED_FRAME;
    if (faults.takeBadSchema()) return JSON.stringify(badSchemaPush(figures));
    return JSON.stringify(pushBody(figures));
  }

  /** The MARGIN_INIT push a connection gets first (later, if it opened while the simulator was silent). */
  function sendInit(client: Client): void {
    if (faults.silent || client.ws.readyState !== client.ws.OPEN) return;
    client.initSent = true;
    simSend(client.ws, JSON.stringify(pushBody(account.figures(Date.now()), 'MARGIN_INIT')), faults);
  }

  function pushAll(): void {
    if (faults.silent || clients.size === 0) return;
    for (const client of clients) if (!client.initSent) sendInit(client);
    const text = frame();
    for (const client of clients) simSend(client.ws, text, faults);
  }

  function dropClient(client: Client): void {
    clearInterval(client.ping);
    if (client.pong) clearTimeout(client.pong);
    clients.delete(client);
  }

  function onControl(command: SimControl): void {
    switch (command.kind) {
      case 'revoke':
        // A revoked key loses its open streams too; reconnecting then fails the handshake.
        for (const client of clients) client.ws.close(1008, 'Unauthorized api key');
        break;
      case 'set-level':
        account.pin(dec(command.level));
        pushAll();
        break;
      case 'set-price':
        account.setPrice(command.currency, dec(command.price), Date.now());
        pushAll();
        break;
      case 'resume-walk':
        account.pin(null);
        pushAll();
        break;
      case 'malformed':
      case 'bad-schema':
      case 'silence':
        // With a client connected the fault frame goes out at once; otherwise the next REST answer carries it.
        pushAll();
        break;
      case 'drop':
      case 'restore':
      case 'http-error':
        break;
    }
  }

  function handleHttp(req: IncomingMessage, res: ServerResponse, _body: string, url: URL): void {
    // The public ticker needs no credentials; the faults meant for the private API leave it alone.
    if (url.pathname.startsWith(TICKER_PREFIX)) return sendTicker(req, res, url);
    const routes: Record<string, () => Record<string, unknown>> = {
      [`${SIM_REST_BASE}/margin/balances`]: () => balancesBody(account.figures(Date.now())),
      [`${SIM_REST_BASE}/margin/mark-price`]: () => markPriceBody(account.figures(Date.now())),
      [`${SIM_REST_BASE}/margin/provisioning/borrow`]: provisioningBody,
    };
    const route = req.method === 'GET' ? routes[url.pathname] : undefined;
    if (!route) return sendJson(res, 404, NOT_FOUND);
    const failStatus = faults.takeHttpError();
    if (failStatus !== null) {
      const body = failStatus === 429 ? TOO_MANY_REQUESTS : { error: `simulated HTTP ${failStatus}` };
      return sendJson(res, failStatus, body);
    }
    const refusal = checkAuth(req, auth);
    if (refusal) return sendJson(res, refusal.status, refusal.body);
    if (url.pathname === `${SIM_REST_BASE}/margin/balances`) {
      if (faults.takeMalformed()) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(MALFORMED_FRAME);
      }
      if (faults.takeBadSchema()) return sendJson(res, 200, badSchemaBalances(account.figures(Date.now())));
    }
    return sendJson(res, 200, route());
  }

  function sendTicker(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const currency = pricedCurrencyOfPair(decodeURIComponent(url.pathname.slice(TICKER_PREFIX.length)));
    if (req.method !== 'GET' || currency === null) return sendJson(res, 404, NOT_FOUND);
    const row = account.figures(Date.now()).rows.find((r) => r.currency === currency);
    if (!row) return sendJson(res, 404, NOT_FOUND);
    sendJson(res, 200, tickerBody(currency, row.price));
  }

  const server = await startSimServer({
    host: options.host,
    port: options.port,
    faults,
    onControl,
    handleHttp,
    authorizeUpgrade(req, url) {
      if (url.pathname !== SIM_WS_PATH) return { status: 404, body: JSON.stringify(NOT_FOUND) };
      const refusal = checkAuth(req, auth);
      return refusal ? { status: refusal.status, body: JSON.stringify(refusal.body) } : null;
    },
    onConnection(ws) {
      const client: Client = {
        ws,
        initSent: false,
        ping: setInterval(
          () => {
            if (faults.silent || ws.readyState !== ws.OPEN || client.pong) return;
            ws.ping();
            client.pong = setTimeout(() => ws.terminate(), scaled(PONG_TIMEOUT_MS, timeScale));
          },
          scaled(PING_INTERVAL_MS, timeScale),
        ),
      };
      clients.add(client);
      ws.on('pong', () => {
        if (client.pong) clearTimeout(client.pong);
        client.pong = undefined;
      });
      ws.on('close', () => dropClient(client));
      ws.on('error', () => ws.terminate());
      sendInit(client);
    },
  });
  const pushTimer = setInterval(pushAll, scaled(PUSH_INTERVAL_MS, timeScale));

  return {
    url: server.url,
    endpoints: { rest: `${server.url}${SIM_REST_BASE}`, ws: `${server.wsUrl}${SIM_WS_PATH}` },
    control: (command) => server.control(command),
    async close() {
      clearInterval(pushTimer);
      for (const client of [...clients]) dropClient(client);
      await server.close();
    },
  };
}
