// Proxy-only contract every exchange folder implements in its server.ts. Never imported by browser code.
import type { z } from 'zod';
import type { LevelUnit, ThresholdOverrides } from '../domain/model.ts';
import type { Dec } from '../domain/decimal.ts';

export interface Endpoints {
  /** REST base URL, e.g. https://api.bitopro.com/v3 (no trailing slash). */
  rest: string;
  /** WebSocket URL of the private stream, when the exchange has one. */
  ws?: string;
}

/** One configured account, validated, with `${ENV}` substituted and endpoints resolved. */
export interface AccountConfig {
  id: string;
  exchange: string;
  label: string;
  /** Exchange-specific credential fields (apiKey, apiSecret, identity, accessToken …). */
  credentials: Readonly<Record<string, string>>;
  thresholds?: ThresholdOverrides;
  endpoints: Endpoints;
  /** Poll interval for polled channels, seconds. */
  pollSeconds: number;
  /** Exchange-specific keys validated by the module's `accountOptions` (VALR subaccountId, B2Prime accountId …). */
  options: Readonly<Record<string, unknown>>;
}

/** Strictly increasing integers per key, also across bursts and restarts. */
export interface NonceSource {
  next(key: string): number;
}

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type UpstreamState = 'connecting' | 'live' | 'stale' | 'reconnecting' | 'auth_failed' | 'error';

export interface UpstreamDeps {
  account: AccountConfig;
  /** Publish one wire message on a channel: the JSON-decoded value, or the raw text when it was not JSON. */
  publish(channel: string, payload: unknown, receivedAt?: number): void;
  /** Report a connection state change, with a reason a trader can act on for failures. */
  setStatus(state: UpstreamState, detail?: string): void;
  log: Logger;
  nonces: NonceSource;
  /** When and how often this account's polls go out, within its API key's request budget (absent: as configured). */
  pollPlan?: PollPlan;
}

/** A documented limit on an exchange's private requests: per API key, or per IP address (the whole proxy). */
export interface RequestLimit {
  perMinute: number;
  scope: 'key' | 'ip';
}

/** What an exchange's polls may spend: its documented private request limits and what one poll costs. */
export interface RequestBudget {
  limits: readonly RequestLimit[];
  /** Private requests one poll of one account sends. */
  requestsPerPoll: number;
  /** The credential field naming the API key: accounts with the same value share its `key` limits. */
  keyField: string;
}

/** An account's polls as its API key's request budget allows (see src/proxy/request-budget.ts). */
export interface PollPlan {
  /** Interval between polls (ms): pollSeconds, stretched when the accounts of one key would exceed its limit. */
  intervalMs: number;
  /** Delay of the first poll (ms), spreading the accounts of one key over the interval. */
  offsetMs: number;
}

export interface Upstream {
  start(): void;
  stop(): Promise<void>;
}

export interface SignRequest {
  method: 'GET';
  /** The full URL that will be requested (path and query are what gets signed where the exchange signs them). */
  url: URL;
  body: string;
}

/** Faults a test can inject into a running simulator. */
export type SimControl =
  /** Close every client connection abruptly. */
  | { kind: 'drop' }
  /** Stop sending anything (data and keep-alives) while keeping sockets open; `on: false` resumes. */
  | { kind: 'silence'; on: boolean }
  /** Send one frame that is not valid JSON / not valid protocol framing. */
  | { kind: 'malformed' }
  /** Send one well-formed message whose schema is wrong (missing or mistyped fields). */
  | { kind: 'bad-schema' }
  /** Answer the next `count` REST requests with this HTTP status (429 carries the exchange's rate-limit shape). */
  | { kind: 'http-error'; status: number; count: number }
  /** Revoke (or restore) the API key: signatures fail as they would at the exchange. */
  | { kind: 'revoke' }
  | { kind: 'restore' }
  /** Drive the account's level: a multiplier path is replaced by this target level (in the exchange's unit). */
  | { kind: 'set-level'; level: string }
  /** Return to the seeded random walk (and to moving prices, after set-price). */
  | { kind: 'resume-walk' }
  /**
   * Set one currency's price (in the account's reference currency): every price then holds still, and the level
   * is worked out from balances and prices as the venue does. Exchanges with a public ticker.
   */
  | { kind: 'set-price'; currency: string; price: string }
  /**
   * The venue's own status: report the account as being liquidated (true) or not (false) whatever its level;
   * null goes back to deriving it from the level (exchanges that report such a status: Bitso, VALR).
   */
  | { kind: 'liquidating'; on: boolean | null };

export interface SimAccount {
  /** Credentials the simulator accepts (the same shape as the account's config credentials). */
  credentials: Readonly<Record<string, string>>;
  /** Exchange-specific account options (e.g. B2Prime accountId). */
  options?: Readonly<Record<string, unknown>>;
}

/**
 * How a simulated level moves. `drift` and `approach` make the demo desk: a calm account wanders a little around
 * a comfortable level; the approaching one sinks over minutes through its margin-call line towards liquidation
 * and recovers. `demo` sweeps through every band within a few minutes (simulator tests); `steady` stays safe.
 */
export type SimScenario = 'demo' | 'steady' | 'drift' | 'approach';

export interface SimulatorOptions {
  host?: string;
  /** 0 or undefined: an ephemeral port. */
  port?: number;
  seed: number;
  account: SimAccount;
  scenario: SimScenario;
  /** Multiplies keep-alive and push intervals (tests use < 1 to run faster). */
  timeScale?: number;
}

export interface RunningSimulator {
  /** Base URL of the simulator's HTTP server, e.g. http://127.0.0.1:43111 */
  url: string;
  /** Endpoints an account config should use to reach this simulator. */
  endpoints: Endpoints;
  control(command: SimControl): void;
  close(): Promise<void>;
}

export interface DemoAccountSpec {
  id: string;
  label: string;
  credentials: Record<string, string>;
  thresholds?: Record<string, string>;
  options?: Record<string, unknown>;
  pollSeconds?: number;
}

/** Config thresholds as written in the file, by key. */
export type ThresholdTexts = Partial<Record<keyof ThresholdOverrides, string>>;

/** A config threshold the exchange's own rules refuse; `message` says what to write instead. */
export interface ThresholdProblem {
  key: keyof ThresholdOverrides;
  message: string;
}

/**
 * A change of the unit an exchange's headline figure is recorded in, by a power of ten (a ratio shown as percent
 * from then on: × 100). The exchange folder states it; the proxy's database runs it as one migration step
 * (src/proxy/db/migrations.ts), converting the history recorded in `from`. Frozen once released.
 */
export interface HistoryUnitChange {
  /** What the step does, in words (the migration's description). */
  description: string;
  /** `accounts.exchange` of the accounts concerned. */
  exchange: string;
  /** The unit exactly as it was recorded (name and kind): only history in this unit is converted. */
  from: LevelUnit;
  to: LevelUnit;
  /** Places the decimal point moves to the right (2: a ratio becomes a percentage). */
  places: number;
  /** New labels of config lines, by the label they were recorded with (e.g. "liquidation" → "stop-out"). */
  configLabels: Readonly<Record<string, string>>;
}

/** One ticker read: the last price of one unit of the currency, in the reference currency. */
export type TickerOutcome =
  | {
      ok: true;
      price: Dec;
      /** The field the price was read from, e.g. "last", "markPrice". */ field: string;
    }
  /** The body did not match the ticker's schema, or the venue said the pair does not exist. */
  | {
      ok: false;
      error: string;
      /** True when the venue does not list this pair (no use asking again soon). */ unlisted?: boolean;
    };

/**
 * The venue's public ticker (no credentials), polled by the proxy for price-move estimates through the same
 * `endpoints.rest` base as the account's private requests.
 */
export interface TickerSpec {
  /** The pair's name as the venue writes it, e.g. "btc_usd", "BTCUSDC". */
  pair(currency: string, reference: string): string;
  /** Path of one pair's ticker relative to `endpoints.rest` (no leading slash), query included. */
  path(pair: string): string;
  /**
   * Reads one ticker answer (its HTTP status and JSON body), validated like every exchange message; an answer
   * about another pair than `pair` (when given) is refused.
   */
  parse(status: number, body: unknown, pair?: string): TickerOutcome;
  /** Public requests a minute the venue allows one client; the proxy's ticker polls stay well inside it. */
  perMinute: number;
}

/**
 * Whether the venue's headline level can be tied to prices: `assets-over-liabilities` when it is total assets ÷
 * total liabilities (the price-move estimate applies), else the reason in a trader's words.
 */
export type PriceMoveMethod = { kind: 'assets-over-liabilities' } | { kind: 'unavailable'; reason: string };

export interface ExchangeServerModule {
  id: string;
  defaultEndpoints: Endpoints;
  /** Schema of the account's `credentials` object (strict: unknown keys are config errors). */
  credentials: z.ZodType<Record<string, string>>;
  /** Extra account keys this exchange accepts beside the common ones (strict shape). */
  accountOptions: z.ZodRawShape;
  /**
   * Exchange-specific checks of the account's config thresholds, as written (each already a positive decimal):
   * e.g. B2Prime's levels are in percent, so a ratio-like `1.0` is refused. Each problem fails startup.
   */
  checkThresholds?(thresholds: ThresholdTexts): ThresholdProblem[];
  /** The exchange's limits on private requests, for exchanges with polls (see src/proxy/request-budget.ts). */
  requestBudget?: RequestBudget;
  /** Signs a read-only REST request; returns the headers to send. */
  signRest(req: SignRequest, account: AccountConfig, nonces: NonceSource): Record<string, string>;
  /**
   * For exchanges that need signed requests to arrive in nonce order: runs `signAndSend` (which signs, sends and
   * waits for the answer) exclusively per API key, after earlier signed requests of the same key were answered.
   */
  inSigningOrder?<T>(account: AccountConfig, signAndSend: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Credential values that must never leave the proxy (used for redaction); keys of `credentials`. */
  secretFields: readonly string[];
  createUpstream(deps: UpstreamDeps): Upstream;
  startSimulator(options: SimulatorOptions): Promise<RunningSimulator>;
  /** The demo account (fake credentials, demo thresholds) that demo mode runs against this exchange's simulator. */
  demoAccount: DemoAccountSpec;
  /** The public ticker, for exchanges whose prices the proxy reads (absent: no prices). */
  ticker?: TickerSpec;
  /** How the level relates to prices (absent: unavailable, for want of a method). */
  priceMoves?: PriceMoveMethod;
}
