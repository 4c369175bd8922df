// Bitso's side of the margin REST API on loopback (proxy only). Bitso has no private margin stream, so the
// simulator is HTTP only: the four read endpoints under /margin_trading/v1alpha, signed exactly as Bitso
// checks them (HMAC recomputed, nonce strictly increasing per key), rate-limited per key, with faults; and the
// public ticker GET /v3/ticker/?book=btc_usd (and eth_usd), without credentials.
// Authentication failures are answered as Bitso documents them: HTTP 401 with
// {"success": false, "error": {"code": "02xx", "message": "…"}}.
//
// Account model (the simulator's own): BTC and ETH held, bought with borrowed USD.
//   total_liabilities = the USD debt, growing by the hourly interest rate once per accrual period
//   prices            = BTC and ETH in USD (2 decimals): the level path sets a market factor that scales both
//                       base prices, so that assets ÷ debt follows the path; after set-price they hold still
//   total_assets      = Σ held × price, rounded up to the cent
//   current           = total_assets / total_liabilities as emitted (2-decimal figures), truncated to 4 decimals
//   status            = BLOCKED while current < maintenance, else ACTIVE (a `liquidating` control forces it)
//   trading_power     = extra borrowing that keeps the level at `safe`: (assets − safe · debt) / (safe − 1), ≥ 0
//   balances          = btc and eth net holdings (8 decimals), usd = −debt (2 decimals)
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Dec } from '../../domain/decimal.ts';
import { scaled } from '../kit/backoff.ts';
import { constantTimeEqual } from '../kit/signing.ts';
import {
  Faults,
  LevelPath,
  type DemoLevels,
  NonceGuard,
  header,
  sendJson,
  startSimServer,
} from '../kit/simkit.ts';
import type { RunningSimulator, SimControl, SimulatorOptions } from '../server-types.ts';
import { bitsoSignature } from './sign.ts';

/** Bitso's own thresholds (the documented example's). */
export const SIM_SAFE = '1.5';
export const SIM_MAINTENANCE = '1.1';
/** Private API limit: 300 requests per minute per user; exceeding it locks the key out for a minute. */
export const RATE_LIMIT = 300;
export const RATE_WINDOW_MS = 60_000;
export const RATE_LOCKOUT_MS = 60_000;
/** One hour of interest is charged per accrual period (compressed so the demo shows it; scaled by timeScale). */
export const ACCRUAL_PERIOD_MS = 30_000;
/** Decimals of `current` as the simulator emits it (truncated). */
export const LEVEL_DECIMALS = 4;

const MARGIN = '/margin_trading/v1alpha';
/** The public ticker's path (GET /v3/ticker/?book=btc_usd). */
export const TICKER_PATH = '/v3/ticker';
export const SIM_PATHS = {
  account: `${MARGIN}/account`,
  currencies: `${MARGIN}/currencies`,
  movements: `${MARGIN}/movements`,
  loans: `${MARGIN}/loans`,
} as const;

const PRINCIPAL = new Dec('4000.00');
const BTC_HELD = '0.50000000';
const ETH_HELD = '3.20000000';
/** What the account holds, by Bitso's lowercase currency code. */
export const HOLDINGS = { btc: new Dec(BTC_HELD), eth: new Dec(ETH_HELD) } as const;
export type HeldCurrency = keyof typeof HOLDINGS;
export const HELD_CURRENCIES = Object.keys(HOLDINGS) as HeldCurrency[];
/** The reference currency of the figures and of every book the simulator quotes. */
export const REFERENCE = 'usd';
/**
 * Prices at a market factor of 1, where the holdings are worth 10 400 USD: the calm account's level (2.6) on
 * the opening debt. The path's level scales both by one factor.
 */
export const BASE_PRICES: Readonly<Record<HeldCurrency, Dec>> = {
  btc: new Dec('16000.00'),
  eth: new Dec('750.00'),
};
/** The lowest price the simulator quotes: a cent. */
const MIN_PRICE = new Dec('0.01');
/** Hourly interest rates (interest_rate in GET /currencies is hourly) and collateral haircuts. */
const CURRENCIES = [
  { currency_code: 'btc', interest_rate: '0.000006', discount_factor: '0.9' },
  { currency_code: 'eth', interest_rate: '0.000008', discount_factor: '0.85' },
  { currency_code: 'usd', interest_rate: '0.00001', discount_factor: '1.0' },
] as const;
const USD_RATE = new Dec('0.00001');
/**
 * The demo's levels: a calm account drifts around 2.6; the approaching one sinks through `safe` (new orders
 * refused below it) towards maintenance; a sweep goes below maintenance by more than the walk's usual noise.
 */
export const DEMO_LEVELS: DemoLevels = {
  high: 2.6,
  low: 1.0,
  marginCall: Number(SIM_SAFE),
  liquidation: Number(SIM_MAINTENANCE),
};

/** The margin API's other error body (some 400s in third-party client code), used here for non-auth errors. */
export function errorBody(code: string, message: string): { errors: { code: string; message: string }[] } {
  return { errors: [{ code, message }] };
}

/** Bitso's documented error envelope, as it answers authentication failures (HTTP 401, codes 0201–0216). */
export function errorEnvelope(
  code: string,
  message: string,
): { success: false; error: { code: string; message: string } } {
  return { success: false, error: { code, message } };
}

/** The authentication failures the simulator answers, with Bitso's codes (HTTP 401). */
export const AUTH_ERRORS = {
  /** Unknown or revoked key, or a nonce not above the last one: Bitso's wording covers both. */
  invalid: { code: '0201', message: 'Invalid Nonce or Invalid Credentials' },
  noAuth: { code: '0208', message: 'Authentication required' },
  nonceType: { code: '0206', message: 'Invalid nonce type' },
  signature: { code: '0215', message: 'Incorrect request signature' },
} as const;

/** Prices of the held currencies in USD, 2 decimals. */
export type SimPrices = Record<HeldCurrency, Dec>;

/** The USD debt after a number of accrual periods (principal and interest, 2 decimals). */
export function debtAfter(accruals: number): Dec {
  return PRINCIPAL.times(USD_RATE.plus(1).pow(accruals)).toDecimalPlaces(2);
}

/** Σ held × price, rounded up to the cent (the total_assets the account reports). */
export function assetsAt(prices: SimPrices): Dec {
  let sum = new Dec(0);
  for (const currency of HELD_CURRENCIES) sum = sum.plus(HOLDINGS[currency].times(prices[currency]));
  return sum.toDecimalPlaces(2, Dec.ROUND_UP);
}

/** ETH follows the market factor in steps of 5 cents: 3.2 ETH at such a price is worth whole cents. */
const ETH_STEP = new Dec('0.05');

/**
 * Prices that put assets ÷ `debt` at `level`: ETH at its base price times the market factor (level × debt ÷ the
 * base value), BTC at the price that brings the assets to level × debt rounded up to the cent. Both move by the
 * same factor, and a level of at most 4 decimals (a pinned one) comes out exactly. No price goes below a cent.
 */
export function pricesForLevel(level: Dec, debt: Dec): SimPrices {
  const target = Dec.max(0, level.times(debt)).toDecimalPlaces(2, Dec.ROUND_UP);
  const factor = target.div(assetsAt(BASE_PRICES));
  const eth = Dec.max(MIN_PRICE, BASE_PRICES.eth.times(factor).div(ETH_STEP).round().times(ETH_STEP));
  const rest = target.minus(HOLDINGS.eth.times(eth));
  const btc = Dec.max(MIN_PRICE, rest.div(HOLDINGS.btc).toDecimalPlaces(2, Dec.ROUND_UP));
  return { btc, eth };
}

/** What the account endpoint reports at one moment, all as wire strings. */
export interface SimFigures {
  status: 'ACTIVE' | 'BLOCKED';
  current: string;
  assets: string;
  liabilities: string;
  tradingPower: string;
  balances: { currency: string; net_amount: string }[];
  /** Interest accrued on the USD loan so far (2 decimals). */
  accruedInterest: string;
  /** Accrual periods elapsed. */
  accruals: number;
  /** The prices the assets were valued at. */
  prices: SimPrices;
}

/**
 * The account's figures for a level (a decimal string) and a number of accrual periods: prices set so that the
 * holdings are worth that level of the debt (see pricesForLevel), then valued as Bitso does.
 */
export function figuresFor(levelText: string, accruals: number): SimFigures {
  return figuresAt(pricesForLevel(new Dec(levelText), debtAfter(accruals)), accruals);
}

/**
 * The account's figures at these prices after a number of accrual periods. Everything is derived from the
 * emitted 2-decimal figures, so assets / liabilities matches `current` to its last digit.
 */
export function figuresAt(prices: SimPrices, accruals: number): SimFigures {
  const debt = debtAfter(accruals);
  const assets = assetsAt(prices);
  const current = assets.div(debt).toDecimalPlaces(LEVEL_DECIMALS, Dec.ROUND_DOWN);
  const safe = new Dec(SIM_SAFE);
  const power = Dec.max(0, assets.minus(safe.times(debt)).div(safe.minus(1))).toDecimalPlaces(
    2,
    Dec.ROUND_DOWN,
  );
  return {
    status: current.lt(SIM_MAINTENANCE) ? 'BLOCKED' : 'ACTIVE',
    current: current.toFixed(LEVEL_DECIMALS),
    assets: assets.toFixed(2),
    liabilities: debt.toFixed(2),
    tradingPower: power.toFixed(2),
    balances: [
      { currency: 'btc', net_amount: BTC_HELD },
      { currency: 'eth', net_amount: ETH_HELD },
      { currency: 'usd', net_amount: debt.negated().toFixed(2) },
    ],
    accruedInterest: debt.minus(PRINCIPAL).toFixed(2),
    accruals,
    prices,
  };
}

/** The book a ticker request names (`book` query, lowercase as Bitso writes it), if the simulator quotes it. */
export function heldCurrencyOfBook(book: string | null): HeldCurrency | null {
  const match = /^([a-z]+)_usd$/.exec(book ?? '');
  const currency = match?.[1];
  return currency !== undefined && (HELD_CURRENCIES as string[]).includes(currency)
    ? (currency as HeldCurrency)
    : null;
}

/** The public GET /v3/ticker/ body of one book, in Bitso's v3 success envelope (documented field names). */
export function tickerBody(currency: HeldCurrency, price: Dec, now: number): Record<string, unknown> {
  const last = price.toFixed(2);
  return {
    success: true,
    payload: {
      high: last,
      last,
      created_at: new Date(now).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
      book: `${currency}_${REFERENCE}`,
      volume: '0.00000000',
      vwap: last,
      low: last,
      ask: price.plus('0.01').toFixed(2),
      bid: last,
      change_24: '0.00',
    },
  };
}

/** Bitso's answer to a book it does not list (its validation error 0301), as the simulator gives it. */
export const UNKNOWN_BOOK = { code: '0301', message: 'Unknown OrderBook' } as const;

/** The documented GET /margin_trading/v1alpha/account body for these figures. */
export function accountBody(f: SimFigures): Record<string, unknown> {
  return {
    status: f.status,
    margin_levels: { current: f.current, safe: SIM_SAFE, maintenance: SIM_MAINTENANCE },
    margin_figures: {
      currency: 'usd',
      total_assets: f.assets,
      total_liabilities: f.liabilities,
      trading_power: f.tradingPower,
    },
    balances: f.balances,
  };
}

/** Bitso writes times as RFC 3339 UTC without milliseconds. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `Bitso <key>:<nonce>:<signature>` split into its parts, or null when the header does not have that form. */
export function parseAuthorization(
  header: string | undefined,
): { key: string; nonce: string; signature: string } | null {
  const match = /^Bitso ([^:\s]+):([^:\s]+):([^:\s]+)$/.exec(header ?? '');
  if (!match) return null;
  return { key: match[1]!, nonce: match[2]!, signature: match[3]! };
}

/** Per-key fixed one-minute windows with a lockout after the limit is passed. */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number; lockedUntil: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly lockoutMs: number,
  ) {}

  /** 0 when the request may proceed, else the ms until the key may try again. */
  take(key: string, now: number): number {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0, lockedUntil: w?.lockedUntil ?? 0 };
      this.windows.set(key, w);
    }
    if (now < w.lockedUntil) return w.lockedUntil - now;
    w.count += 1;
    if (w.count > this.limit) {
      w.lockedUntil = now + this.lockoutMs;
      return this.lockoutMs;
    }
    return 0;
  }
}

/** Starts a Bitso margin simulator. `endpoints.rest` is its base URL (paths as on api.bitso.com). */
export async function startBitsoSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const timeScale = options.timeScale ?? 1;
  const started = Date.now();
  const apiKey = options.account.credentials.apiKey ?? '';
  const apiSecret = options.account.credentials.apiSecret ?? '';
  const faults = new Faults();
  const nonces = new NonceGuard();
  const limiter = new RateLimiter(
    RATE_LIMIT,
    scaled(RATE_WINDOW_MS, timeScale),
    scaled(RATE_LOCKOUT_MS, timeScale),
  );
  const path = new LevelPath({
    seed: options.seed,
    scenario: options.scenario,
    ...DEMO_LEVELS,
    timeScale,
    start: started,
    periodMs: scaled(150_000, timeScale),
    stepMs: scaled(500, timeScale),
  });
  const accrualMs = scaled(ACCRUAL_PERIOD_MS, timeScale);
  /** A level set by set-level (its prices follow it as the debt grows), or null. */
  let pinned: string | null = null;
  /** Prices held still by set-price (the level then follows from them), or null. */
  let stillPrices: SimPrices | null = null;
  /** Requests held open while silenced, each with the way to answer it once the silence ends. */
  const held = new Map<ServerResponse, () => void>();

  function figuresNow(now: number): SimFigures {
    const accruals = Math.floor((now - started) / accrualMs);
    if (stillPrices) return figuresAt(stillPrices, accruals);
    // The path gives a float; six decimals are plenty for a simulated level.
    const level = pinned ?? path.at(now).toFixed(6);
    return figuresFor(level, accruals);
  }

  function movements(now: number): Record<string, unknown> {
    const f = figuresNow(now);
    const list: Record<string, unknown>[] = [];
    const first = Math.max(1, f.accruals - 48);
    for (let n = f.accruals; n >= first; n -= 1) {
      const charge = figuresFor('1', n).accruedInterest;
      const before = figuresFor('1', n - 1).accruedInterest;
      list.push({
        id: `sim-interest-${n}`,
        type: 'INTEREST_CHARGE',
        amount: new Dec(charge).minus(before).toFixed(2),
        currency: 'usd',
        created_at: isoSeconds(started + n * accrualMs),
      });
    }
    list.push(
      {
        id: 'sim-deposit-eth',
        type: 'DEPOSIT',
        amount: ETH_HELD,
        currency: 'eth',
        created_at: isoSeconds(started),
      },
      {
        id: 'sim-deposit-btc',
        type: 'DEPOSIT',
        amount: BTC_HELD,
        currency: 'btc',
        created_at: isoSeconds(started),
      },
    );
    return { movements: list };
  }

  function loans(now: number): Record<string, unknown> {
    const f = figuresNow(now);
    const apy = USD_RATE.plus(1).pow(8760).minus(1).toDecimalPlaces(5);
    return {
      loans: [
        {
          currency: 'usd',
          principal: PRINCIPAL.toFixed(2),
          interest_rate: USD_RATE.toFixed(),
          interest_rate_apy: apy.toFixed(5),
          accrued_interest: f.accruedInterest,
          last_accrual_at: f.accruals > 0 ? isoSeconds(started + f.accruals * accrualMs) : null,
          next_accrual_after: isoSeconds(started + (f.accruals + 1) * accrualMs),
        },
      ],
    };
  }

  /** Checks the Authorization header as Bitso does; answers and returns false when the request is refused. */
  function authorize(req: IncomingMessage, res: ServerResponse, body: string, now: number): boolean {
    const refuse = (error: { code: string; message: string }): false => {
      sendJson(res, 401, errorEnvelope(error.code, error.message));
      return false;
    };
    const auth = parseAuthorization(header(req, 'authorization'));
    if (!auth) return refuse(AUTH_ERRORS.noAuth);
    if (faults.revoked || !constantTimeEqual(auth.key, apiKey)) return refuse(AUTH_ERRORS.invalid);
    if (!/^\d{1,19}$/.test(auth.nonce)) return refuse(AUTH_ERRORS.nonceType);
    const expected = bitsoSignature(apiSecret, auth.nonce, req.method ?? 'GET', req.url ?? '/', body);
    if (!constantTimeEqual(auth.signature, expected)) return refuse(AUTH_ERRORS.signature);
    if (nonces.check(auth.key, auth.nonce) !== 'ok') return refuse(AUTH_ERRORS.invalid);
    const wait = limiter.take(auth.key, now);
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      sendJson(res, 429, errorBody('too_many_requests', `Rate limit exceeded; try again in ${seconds} s`), {
        'retry-after': String(seconds),
      });
      return false;
    }
    return true;
  }

  function failWith(res: ServerResponse, status: number): void {
    if (status === 429) {
      sendJson(res, 429, errorBody('too_many_requests', 'Rate limit exceeded; try again in 1 s'), {
        'retry-after': '1',
      });
    } else if (status >= 500) {
      sendJson(res, status, errorBody('internal_error', 'Service temporarily unavailable'));
    } else {
      sendJson(res, status, errorBody(`http_${status}`, 'Request refused'));
    }
  }

  function sendAccount(res: ServerResponse, now: number): void {
    if (faults.takeMalformed()) {
      const text = '{"status":"ACTIVE","margin_levels":{"current":"2.5';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const figures = figuresNow(now);
    if (faults.liquidating !== null) figures.status = faults.liquidating ? 'BLOCKED' : 'ACTIVE';
    const body = accountBody(figures);
    if (faults.takeBadSchema()) delete body.margin_levels;
    sendJson(res, 200, body);
  }

  const server = await startSimServer({
    host: options.host,
    port: options.port,
    faults,
    onControl: (command) => onControl(command),
    handleHttp(req, res, body, url) {
      if (faults.silent) {
        held.set(res, () => respond(req, res, body, url));
        res.on('close', () => held.delete(res));
        return;
      }
      respond(req, res, body, url);
    },
  });

  function respond(req: IncomingMessage, res: ServerResponse, body: string, url: URL): void {
    // The public ticker needs no credentials; the account's faults (http-error, malformed, bad-schema) are
    // meant for its private requests and leave it alone.
    if (url.pathname === TICKER_PATH || url.pathname === `${TICKER_PATH}/`) return sendTicker(req, res, url);
    const status = faults.takeHttpError();
    if (status !== null) return failWith(res, status);
    const known = (Object.values(SIM_PATHS) as string[]).includes(url.pathname);
    if (!known) return sendJson(res, 404, errorBody('not_found', 'Resource not found'));
    if (req.method !== 'GET') {
      return sendJson(
        res,
        405,
        errorBody('method_not_allowed', 'The simulator serves read-only GET requests'),
      );
    }
    const now = Date.now();
    if (!authorize(req, res, body, now)) return;
    switch (url.pathname) {
      case SIM_PATHS.account:
        return sendAccount(res, now);
      case SIM_PATHS.currencies:
        return sendJson(res, 200, { currencies: CURRENCIES });
      case SIM_PATHS.movements:
        return sendJson(res, 200, movements(now));
      case SIM_PATHS.loans:
        return sendJson(res, 200, loans(now));
    }
  }

  function sendTicker(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'GET') {
      return sendJson(res, 405, errorEnvelope('0102', 'The simulator serves read-only GET requests'));
    }
    const currency = heldCurrencyOfBook(url.searchParams.get('book'));
    if (currency === null) return sendJson(res, 400, errorEnvelope(UNKNOWN_BOOK.code, UNKNOWN_BOOK.message));
    const now = Date.now();
    sendJson(res, 200, tickerBody(currency, figuresNow(now).prices[currency], now));
  }

  /** Holds every price still where it is now, then sets one (a currency the account does not hold is ignored). */
  function setPrice(currency: string, price: string): void {
    const code = currency.toLowerCase();
    if (!(HELD_CURRENCIES as string[]).includes(code)) return;
    const now = figuresNow(Date.now()).prices;
    stillPrices = { ...now, [code]: Dec.max(MIN_PRICE, new Dec(price).toDecimalPlaces(2)) };
    pinned = null;
  }

  /** Ends the silence: requests whose client is still waiting get their (late) answer. */
  function answerHeld(): void {
    const waiting = [...held.values()];
    held.clear();
    for (const run of waiting) run();
  }

  function dropHeld(): void {
    for (const res of held.keys()) res.destroy();
    held.clear();
  }

  function onControl(command: SimControl): void {
    switch (command.kind) {
      case 'set-level':
        pinned = command.level;
        stillPrices = null;
        break;
      case 'set-price':
        setPrice(command.currency, command.price);
        break;
      case 'resume-walk':
        pinned = null;
        stillPrices = null;
        break;
      case 'silence':
        if (!command.on) answerHeld();
        break;
      default:
        break;
    }
  }

  return {
    url: server.url,
    endpoints: { rest: server.url },
    control: (command) => server.control(command),
    async close() {
      dropHeld();
      await server.close();
    },
  };
}
