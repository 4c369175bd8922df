// VALR's side of the protocol on loopback (proxy only): signed REST reads and the account WebSocket.
//
// Account model (the simulator's own; VALR does not publish its formula): a spot-margin account that holds
// BTC bought with borrowed USDC (the reference currency).
//   exposure E      = value of the BTC held
//   collateralized  = value of every positive balance (the BTC, plus USDC when USDC is positive)
//   borrowed D      = USDC borrowed; grows with interest every interest period
//   marginFraction  = (collateralized − D) / E, rounded to 8 places
// The level path gives the fraction; the BTC price is what moves to produce it (E = D / (1 − fraction)).
// A fraction at or above 1 means nothing is borrowed: the extra collateral is held as USDC.
// The public market summary GET /v1/public/BTCUSDC/marketsummary (no credentials) quotes that BTC price
// (E ÷ BTC held). After set-price the price holds still and the fraction follows from it by the same model.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import { z } from 'zod';
import { Dec } from '../../domain/decimal.ts';
import { scaled } from '../kit/backoff.ts';
import { frameText } from '../kit/frames.ts';
import { constantTimeEqual } from '../kit/signing.ts';
import {
  Faults,
  LevelPath,
  type DemoLevels,
  TimestampGuard,
  header,
  sendJson,
  simSend,
  startSimServer,
} from '../kit/simkit.ts';
import type { RunningSimulator, SimControl, SimulatorOptions } from '../server-types.ts';
import {
  HEADER_API_KEY,
  HEADER_SIGNATURE,
  HEADER_SUB_ACCOUNT,
  HEADER_TIMESTAMP,
  WS_ACCOUNT_PATH,
  valrSignature,
} from './sign.ts';

/** MARGIN_INFO push interval (doc: every 5 s). */
export const MARGIN_INFO_INTERVAL_MS = 5_000;
/** A client that sends nothing for this long is dropped (UNCONFIRMED: VALR's idle timeout is not published). */
export const IDLE_TIMEOUT_MS = 60_000;
/** A socket that connected without handshake headers must send AUTHENTICATE within this time. */
export const AUTH_TIMEOUT_MS = 10_000;
/** Accepted clock difference of X-VALR-TIMESTAMP (UNCONFIRMED: VALR does not publish its window). */
export const TIMESTAMP_WINDOW_MS = 30_000;
/** Borrow interest is added once per period (scaled with timeScale). */
export const INTEREST_PERIOD_MS = 60_000;

/** VALR's default margin fractions (GET /v2/margin/status example). */
export const SIM_FRACTIONS = { initial: '0.1', maintenance: '0.05', autoClose: '0.03' } as const;

const REFERENCE = 'USDC';
const BTC_HELD = new Dec('0.25');
const PRINCIPAL = new Dec('6000');
const INTEREST_PER_PERIOD = new Dec('0.00002');
/** Exposure when nothing is borrowed (a fraction at or above 1). */
const UNLEVERAGED_EXPOSURE = new Dec('10000');
/**
 * The demo's levels (margin fraction): a calm account drifts around 0.4; the approaching one sinks through the
 * initial margin fraction towards maintenance; a sweep goes below the auto-close line (0.03), and below the
 * doc example's 0.017 too.
 */
export const DEMO_LEVELS: DemoLevels = {
  high: 0.4,
  low: 0.015,
  marginCall: Number(SIM_FRACTIONS.initial),
  liquidation: Number(SIM_FRACTIONS.maintenance),
};

/** `{code, message}` bodies, as VALR answers errors. */
export const SIM_ERRORS = {
  /** Unknown or revoked key, wrong signature (the message VALR sends). */
  invalidKey: { status: 401, code: -11252, message: 'API Key or Secret is invalid' },
  noKey: { status: 403, code: -403, message: 'API key is required' },
  contentType: { status: 403, code: -403, message: 'Content-Type must be application/json' },
  staleTimestamp: { status: 401, code: -401, message: 'Request timestamp is outside the accepted window' },
  reusedTimestamp: { status: 401, code: -401, message: 'Request timestamp has already been used' },
  badTimestamp: { status: 401, code: -401, message: 'X-VALR-TIMESTAMP must be a ms epoch integer' },
  subAccount: { status: 403, code: -403, message: 'Sub-account not found' },
  rateLimited: { status: 429, code: -429, message: 'Rate limit exceeded' },
  notFound: { status: 404, code: -404, message: 'Not Found' },
  unknownPair: { status: 404, code: -404, message: 'Currency pair not found' },
  method: { status: 405, code: -405, message: 'Method not allowed' },
} as const;
type SimError = (typeof SIM_ERRORS)[keyof typeof SIM_ERRORS];

const RATE_LIMIT_HEADERS = { 'x-valr-ratelimited': 'true' };

/** Figures of the simulated account at one moment, all as VALR writes them (decimal strings). */
export interface SimFigures {
  marginFraction: string;
  collateralizedMarginFraction: string;
  exposure: string;
  collateralized: string;
  borrowed: string;
  initialRequired: string;
  available: string;
  leverageMultiple: number;
  btcTotal: string;
  usdcTotal: string;
  usdcAvailable: string;
}

const fixed8 = (d: Dec): string => d.toDecimalPlaces(8, Dec.ROUND_HALF_EVEN).toFixed();

/** The wire carries leverageMultiple as a JSON number: two decimals, like the doc example (0.53). */
function leverageNumber(exposure: Dec, equity: Dec): number {
  if (equity.lte(0)) return 0;
  return exposure.div(equity).toDecimalPlaces(2).toNumber();
}

/** The USDC borrowed after `periods` interest periods (8 decimals, rounded up). */
function borrowedAfter(periods: number): Dec {
  return PRINCIPAL.times(INTEREST_PER_PERIOD.plus(1).pow(periods)).toDecimalPlaces(8, Dec.ROUND_UP);
}

/** The account's figures for a margin fraction `level` after `periods` interest periods. */
export function accountFigures(level: Dec, periods: number): SimFigures {
  if (level.lt(1)) {
    const borrowed = borrowedAfter(periods);
    const exposure = borrowed.div(new Dec(1).minus(level)).toDecimalPlaces(8, Dec.ROUND_HALF_EVEN);
    return figuresOf(exposure, borrowed, borrowed.neg());
  }
  const usdc = UNLEVERAGED_EXPOSURE.times(level.minus(1)).toDecimalPlaces(8, Dec.ROUND_DOWN);
  return figuresOf(UNLEVERAGED_EXPOSURE, new Dec(0), usdc);
}

/**
 * The account's figures when BTC is at `price` (USDC) after `periods` interest periods: the BTC bought with the
 * borrowed USDC is worth held × price, and the fraction follows from that exposure by the same model.
 */
export function accountFiguresAtPrice(price: Dec, periods: number): SimFigures {
  const borrowed = borrowedAfter(periods);
  const exposure = BTC_HELD.times(price).toDecimalPlaces(8, Dec.ROUND_HALF_EVEN);
  return figuresOf(exposure, borrowed, borrowed.neg());
}

/** The BTC price (in USDC) the figures value the holdings at: exposure ÷ BTC held. */
export function btcPriceOf(f: SimFigures): Dec {
  return new Dec(f.exposure).div(BTC_HELD).toDecimalPlaces(8, Dec.ROUND_HALF_EVEN);
}

/** The pair the simulator quotes: the BTC it holds, in the reference currency. */
export const SIM_PAIR = `BTC${REFERENCE}`;

/** `GET /v1/public/{pair}/marketsummary` body at a BTC price (documented fields; the price as mark and last). */
export function marketSummaryBody(price: Dec, now: number): Record<string, unknown> {
  const text = price.toFixed();
  return {
    currencyPair: SIM_PAIR,
    askPrice: text,
    bidPrice: text,
    lastTradedPrice: text,
    previousClosePrice: text,
    baseVolume: '0',
    quoteVolume: '0',
    highPrice: text,
    lowPrice: text,
    created: new Date(now).toISOString(),
    changeFromPrevious: '0',
    markPrice: text,
  };
}

/** Figures from the exposure (value of the BTC held), the USDC borrowed and the USDC balance. */
function figuresOf(exposure: Dec, borrowed: Dec, usdc: Dec): SimFigures {
  const collateralized = exposure.plus(usdc.gt(0) ? usdc : 0);
  const equity = collateralized.minus(borrowed);
  const initialRequired = exposure.times(SIM_FRACTIONS.initial).toDecimalPlaces(8, Dec.ROUND_UP);
  const available = Dec.max(0, equity.minus(initialRequired));
  return {
    marginFraction: equity.div(exposure).toDecimalPlaces(8, Dec.ROUND_HALF_EVEN).toFixed(),
    collateralizedMarginFraction: collateralized.div(exposure).toDecimalPlaces(8, Dec.ROUND_DOWN).toFixed(),
    exposure: fixed8(exposure),
    collateralized: fixed8(collateralized),
    borrowed: fixed8(borrowed),
    initialRequired: fixed8(initialRequired),
    available: fixed8(available),
    leverageMultiple: leverageNumber(exposure, equity),
    btcTotal: BTC_HELD.toFixed(),
    usdcTotal: fixed8(usdc),
    usdcAvailable: fixed8(Dec.max(0, usdc)),
  };
}

/** MARGIN_INFO `data` for a set of figures (field order as in the doc). */
export function marginInfoData(f: SimFigures): Record<string, unknown> {
  return {
    marginFraction: f.marginFraction,
    collateralizedMarginFraction: f.collateralizedMarginFraction,
    initialMarginFraction: SIM_FRACTIONS.initial,
    totalLeveragedExposureInReference: f.exposure,
    collateralizedBalancesInReference: f.collateralized,
    referenceCurrency: REFERENCE,
    initialRequiredInReference: f.initialRequired,
    availableInReference: f.available,
    maintenanceMarginFraction: SIM_FRACTIONS.maintenance,
    autoCloseMarginFraction: SIM_FRACTIONS.autoClose,
    leverageMultiple: f.leverageMultiple,
    totalPositionsAtEntryInReference: '0',
    totalUnrealisedFuturesPnlInReference: '0',
    totalBorrowedInReference: f.borrowed,
    tradeReservedInReference: '0',
  };
}

/** `GET /v1/account/balances` rows for a set of figures, written with 8 decimals. */
export function balanceRows(f: SimFigures, updatedAt: string): Record<string, string>[] {
  const eight = (text: string): string => new Dec(text).toFixed(8);
  const zero = eight('0');
  return [
    {
      currency: 'BTC',
      available: eight(f.btcTotal),
      reserved: zero,
      total: eight(f.btcTotal),
      updatedAt,
      lendReserved: zero,
      borrowReserved: zero,
      borrowedAmount: zero,
    },
    {
      currency: REFERENCE,
      available: eight(f.usdcAvailable),
      reserved: zero,
      total: eight(f.usdcTotal),
      updatedAt,
      lendReserved: zero,
      borrowReserved: zero,
      borrowedAmount: eight(f.borrowed),
    },
  ];
}

interface Client {
  ws: WebSocket;
  authenticated: boolean;
  subscribed: boolean;
  lastHeard: number;
  /** Sub-account named on the handshake (signed into the in-band AUTHENTICATE too). */
  subaccountId: string;
  authTimer?: ReturnType<typeof setTimeout>;
}

type Verdict = { ok: true } | { ok: false; error: SimError };

/** Starts a VALR simulator; its level moves as `options.scenario` says (see SimScenario). */
export async function startValrSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const timeScale = options.timeScale ?? 1;
  const apiKey = options.account.credentials.apiKey ?? '';
  const apiSecret = options.account.credentials.apiSecret ?? '';
  const subOption = options.account.options?.subaccountId;
  const knownSubaccount = typeof subOption === 'string' ? subOption : '';
  const started = Date.now();
  const faults = new Faults();
  const timestamps = new TimestampGuard(TIMESTAMP_WINDOW_MS);
  const path = new LevelPath({
    seed: options.seed,
    scenario: options.scenario,
    ...DEMO_LEVELS,
    timeScale,
    periodMs: scaled(150_000, timeScale),
    stepMs: scaled(500, timeScale),
    start: started,
  });
  let pinnedText: string | null = null;
  /** The BTC price held still by set-price, or null. */
  let pinnedPrice: Dec | null = null;
  const clients = new Set<Client>();

  function levelNow(now: number): Dec {
    if (pinnedText !== null) return new Dec(pinnedText);
    return new Dec(path.at(now).toFixed(8));
  }

  function figuresNow(now = Date.now()): SimFigures {
    const periods = Math.floor((now - started) / scaled(INTEREST_PERIOD_MS, timeScale));
    if (pinnedPrice !== null) return accountFiguresAtPrice(pinnedPrice, periods);
    return accountFigures(levelNow(now), periods);
  }

  /** The public market summary: no credentials; the faults meant for the private API leave it alone. */
  function sendMarketSummary(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const pair = MARKET_SUMMARY.exec(url.pathname)?.[1];
    if (req.method !== 'GET') return sendError(res, SIM_ERRORS.method);
    if (pair?.toUpperCase() !== SIM_PAIR) return sendError(res, SIM_ERRORS.unknownPair);
    const now = Date.now();
    sendJson(res, 200, marketSummaryBody(btcPriceOf(figuresNow(now)), now));
  }

  /** Checks key, timestamp and signature the way VALR does (signature over ts + VERB + path + body + sub). */
  function verify(
    key: string | undefined,
    timestampText: string | undefined,
    signature: string | undefined,
    verb: string,
    pathWithQuery: string,
    body: string,
    subaccountId: string,
  ): Verdict {
    if (!key) return { ok: false, error: SIM_ERRORS.noKey };
    if (!constantTimeEqual(key, apiKey) || faults.revoked) return { ok: false, error: SIM_ERRORS.invalidKey };
    if (!timestampText || !/^\d{1,16}$/.test(timestampText))
      return { ok: false, error: SIM_ERRORS.badTimestamp };
    const expected = valrSignature(apiSecret, timestampText, verb, pathWithQuery, body, subaccountId);
    if (!constantTimeEqual(signature ?? '', expected)) return { ok: false, error: SIM_ERRORS.invalidKey };
    if (subaccountId !== '' && subaccountId !== knownSubaccount)
      return { ok: false, error: SIM_ERRORS.subAccount };
    const fresh = timestamps.check(key, Number(timestampText));
    if (fresh === 'reused') return { ok: false, error: SIM_ERRORS.reusedTimestamp };
    if (fresh !== 'ok') return { ok: false, error: SIM_ERRORS.staleTimestamp };
    return { ok: true };
  }

  function sendError(res: ServerResponse, error: SimError): void {
    const headers = error.status === 429 ? RATE_LIMIT_HEADERS : {};
    sendJson(res, error.status, { code: error.code, message: error.message }, headers);
  }

  function handleHttp(req: IncomingMessage, res: ServerResponse, body: string, url: URL): void {
    if (MARKET_SUMMARY.test(url.pathname)) return sendMarketSummary(req, res, url);
    const injected = faults.takeHttpError();
    if (injected !== null) {
      if (injected === 429) return sendError(res, SIM_ERRORS.rateLimited);
      return sendJson(res, injected, { code: -injected, message: `Simulated HTTP ${injected}` });
    }
    const contentType = header(req, 'content-type') ?? '';
    const key = header(req, HEADER_API_KEY);
    if (!key) return sendError(res, SIM_ERRORS.noKey);
    if (!contentType.toLowerCase().startsWith('application/json'))
      return sendError(res, SIM_ERRORS.contentType);
    const verdict = verify(
      key,
      header(req, HEADER_TIMESTAMP),
      header(req, HEADER_SIGNATURE),
      req.method ?? 'GET',
      `${url.pathname}${url.search}`,
      body,
      header(req, HEADER_SUB_ACCOUNT) ?? '',
    );
    if (!verdict.ok) return sendError(res, verdict.error);

    const route = ROUTES.get(url.pathname);
    if (!route) return sendError(res, SIM_ERRORS.notFound);
    if (req.method !== 'GET') return sendError(res, SIM_ERRORS.method);
    const now = Date.now();
    if (route === 'balances' && faults.takeMalformed()) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[{"currency":"BTC","available":');
      return;
    }
    const figures = figuresNow(now);
    switch (route) {
      case 'balances': {
        let rows: unknown = balanceRows(figures, new Date(now).toISOString());
        if (faults.takeBadSchema()) rows = [{ currency: 'BTC', available: 0.25, total: '0.25' }];
        return sendJson(res, 200, rows);
      }
      case 'margin-status':
        return sendJson(res, 200, {
          ...marginInfoData(figures),
          defaultInitialMarginFraction: SIM_FRACTIONS.initial,
          defaultMaintenanceMarginFraction: SIM_FRACTIONS.maintenance,
          defaultAutoCloseMarginFraction: SIM_FRACTIONS.autoClose,
        });
      case 'account-status':
        return sendJson(res, 200, {
          marginEnabled: true,
          inLiquidation: faults.liquidating ?? new Dec(figures.marginFraction).lt(SIM_FRACTIONS.maintenance),
          futuresEnabled: false,
        });
    }
  }

  function authorizeUpgrade(
    req: IncomingMessage,
    url: URL,
  ): { status: number; body: string; headers?: Record<string, string> } | null {
    const refuse = (error: SimError) => ({
      status: error.status,
      body: JSON.stringify({ code: error.code, message: error.message }),
      ...(error.status === 429 ? { headers: RATE_LIMIT_HEADERS } : {}),
    });
    if (url.pathname !== WS_ACCOUNT_PATH) return refuse(SIM_ERRORS.notFound);
    const key = header(req, HEADER_API_KEY);
    // Without handshake headers the socket opens and must authenticate in-band.
    if (!key) return null;
    const verdict = verify(
      key,
      header(req, HEADER_TIMESTAMP),
      header(req, HEADER_SIGNATURE),
      'GET',
      `${url.pathname}${url.search}`,
      '',
      header(req, HEADER_SUB_ACCOUNT) ?? '',
    );
    return verdict.ok ? null : refuse(verdict.error);
  }

  function send(client: Client, message: unknown): void {
    simSend(client.ws, JSON.stringify(message), faults);
  }

  function authenticated(client: Client): void {
    client.authenticated = true;
    if (client.authTimer) clearTimeout(client.authTimer);
    send(client, { type: 'AUTHENTICATED' });
    if (client.subscribed) pushTo(client);
  }

  /** One MARGIN_INFO to one client, or the injected malformed / bad-schema frame instead. */
  function pushTo(client: Client, figures = figuresNow()): void {
    send(client, { type: 'MARGIN_INFO', data: marginInfoData(figures) });
  }

  function pushAll(): void {
    const targets = [...clients].filter((c) => c.authenticated && c.subscribed);
    if (targets.length === 0 || faults.silent) return;
    const malformed = faults.takeMalformed();
    const badSchema = !malformed && faults.takeBadSchema();
    const figures = figuresNow();
    for (const client of targets) {
      if (malformed) simSend(client.ws, '{"type":"MARGIN_INFO","data":{"marginFraction":', faults);
      else if (badSchema) {
        const data = { ...marginInfoData(figures), marginFraction: Number(figures.marginFraction) };
        send(client, { type: 'MARGIN_INFO', data });
      } else pushTo(client, figures);
    }
  }

  function onMessage(client: Client, text: string): void {
    client.lastHeard = Date.now();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const message = clientMessage.safeParse(json);
    if (!message.success) return;
    const { type, payload, subscriptions } = message.data;
    if (type === 'PING') {
      send(client, { type: 'PONG' });
    } else if (type === 'AUTHENTICATE' && !client.authenticated) {
      const verdict = verify(
        payload?.apiKey,
        payload?.timestamp === undefined ? undefined : String(payload.timestamp),
        payload?.signature,
        'GET',
        WS_ACCOUNT_PATH,
        '',
        client.subaccountId,
      );
      if (verdict.ok) authenticated(client);
      else client.ws.close(1008, verdict.error.message);
    } else if (type === 'SUBSCRIBE' && subscriptions?.some((s) => s.event === 'MARGIN_INFO')) {
      client.subscribed = true;
      if (client.authenticated) pushTo(client);
    }
  }

  function onConnection(ws: WebSocket, req: IncomingMessage): void {
    const client: Client = {
      ws,
      authenticated: false,
      subscribed: false,
      lastHeard: Date.now(),
      subaccountId: header(req, HEADER_SUB_ACCOUNT) ?? '',
    };
    clients.add(client);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) onMessage(client, frameText(data));
    });
    ws.on('close', () => {
      if (client.authTimer) clearTimeout(client.authTimer);
      clients.delete(client);
    });
    ws.on('error', () => ws.terminate());
    if (header(req, HEADER_API_KEY)) authenticated(client);
    else {
      client.authTimer = setTimeout(
        () => ws.close(1008, 'Not authenticated'),
        scaled(AUTH_TIMEOUT_MS, timeScale),
      );
    }
  }

  function onControl(command: SimControl): void {
    switch (command.kind) {
      case 'set-level':
        pinnedText = command.level;
        pinnedPrice = null;
        path.set(Number(command.level));
        pushAll();
        break;
      case 'set-price':
        // The account holds one priced currency, BTC; USDC is the reference.
        if (command.currency.toUpperCase() !== 'BTC') break;
        pinnedPrice = Dec.max('0.00000001', new Dec(command.price).toDecimalPlaces(8, Dec.ROUND_HALF_EVEN));
        pinnedText = null;
        path.set(null);
        pushAll();
        break;
      case 'resume-walk':
        pinnedText = null;
        pinnedPrice = null;
        path.set(null);
        pushAll();
        break;
      case 'revoke':
        // Sessions of a revoked key end; reconnecting is refused with 401.
        for (const client of clients) client.ws.close(1008, SIM_ERRORS.invalidKey.message);
        break;
      case 'malformed':
      case 'bad-schema':
        pushAll();
        break;
      case 'silence':
      case 'drop':
      case 'restore':
      case 'http-error':
      case 'liquidating':
        break;
    }
  }

  const server = await startSimServer({
    host: options.host,
    port: options.port,
    faults,
    onControl,
    handleHttp,
    authorizeUpgrade,
    onConnection,
  });

  const pushTimer = setInterval(pushAll, scaled(MARGIN_INFO_INTERVAL_MS, timeScale));
  const idleMs = scaled(IDLE_TIMEOUT_MS, timeScale);
  const idleTimer = setInterval(
    () => {
      const now = Date.now();
      for (const client of clients) {
        if (now - client.lastHeard >= idleMs) client.ws.terminate();
      }
    },
    Math.max(5, Math.min(scaled(1_000, timeScale), Math.floor(idleMs / 4))),
  );

  return {
    url: server.url,
    endpoints: { rest: server.url, ws: `${server.wsUrl}${WS_ACCOUNT_PATH}` },
    control: (command) => server.control(command),
    async close() {
      clearInterval(pushTimer);
      clearInterval(idleTimer);
      for (const client of clients) if (client.authTimer) clearTimeout(client.authTimer);
      await server.close();
    },
  };
}

/** The public market summary's path: /v1/public/<PAIR>/marketsummary. */
const MARKET_SUMMARY = /^\/v1\/public\/([^/]+)\/marketsummary$/;

const ROUTES = new Map<string, 'balances' | 'margin-status' | 'account-status'>([
  ['/v1/account/balances', 'balances'],
  ['/v2/margin/status', 'margin-status'],
  ['/v1/margin/account/status', 'account-status'],
]);

/** What a client may send on /ws/account (only the fields the simulator acts on). */
const clientMessage = z.object({
  type: z.string(),
  payload: z
    .object({
      apiKey: z.string().optional(),
      signature: z.string().optional(),
      timestamp: z.union([z.number(), z.string()]).optional(),
    })
    .optional()
    .catch(undefined),
  subscriptions: z
    .array(z.object({ event: z.string() }).catch({ event: '' }))
    .optional()
    .catch(undefined),
});
