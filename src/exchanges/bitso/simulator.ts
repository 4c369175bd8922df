// Bitso's side of the margin REST API on loopback (proxy only). Bitso has no private margin stream, so the
// simulator is HTTP only: the four read endpoints under /margin_trading/v1alpha, signed exactly as Bitso
// checks them (HMAC recomputed, nonce strictly increasing per key), rate-limited per key, with faults.
// Authentication failures are answered as Bitso documents them: HTTP 401 with
// {"success": false, "error": {"code": "02xx", "message": "…"}}.
//
// Account model (the simulator's own): BTC and ETH held, bought with borrowed USD.
//   total_liabilities = the USD debt, growing by the hourly interest rate once per accrual period
//   total_assets      = value of the BTC and ETH; the level path moves prices, so assets = level × debt
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
export const SIM_PATHS = {
  account: `${MARGIN}/account`,
  currencies: `${MARGIN}/currencies`,
  movements: `${MARGIN}/movements`,
  loans: `${MARGIN}/loans`,
} as const;

const PRINCIPAL = new Dec('4000.00');
const BTC_HELD = '0.50000000';
const ETH_HELD = '3.20000000';
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
}

/**
 * The account's figures for a level (a decimal string) and a number of accrual periods. Everything is derived
 * from the emitted 2-decimal figures, so assets / liabilities matches `current` to its last digit. Assets are
 * rounded up to the cent, so a level of at most 4 decimals (a pinned one) comes out exactly as asked.
 */
export function figuresFor(levelText: string, accruals: number): SimFigures {
  const level = new Dec(levelText);
  const debt = PRINCIPAL.times(USD_RATE.plus(1).pow(accruals)).toDecimalPlaces(2);
  const assets = Dec.max(0, level.times(debt)).toDecimalPlaces(2, Dec.ROUND_UP);
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
  };
}

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
  let pinned: string | null = null;
  /** Requests held open while silenced, each with the way to answer it once the silence ends. */
  const held = new Map<ServerResponse, () => void>();

  function figuresAt(now: number): SimFigures {
    const accruals = Math.floor((now - started) / accrualMs);
    // The path gives a float; six decimals are plenty for a simulated level.
    const level = pinned ?? path.at(now).toFixed(6);
    return figuresFor(level, accruals);
  }

  function movements(now: number): Record<string, unknown> {
    const f = figuresAt(now);
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
    const f = figuresAt(now);
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
    const figures = figuresAt(now);
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
        break;
      case 'resume-walk':
        pinned = null;
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
