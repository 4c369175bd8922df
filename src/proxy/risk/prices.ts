// Prices for the price-move estimates: each exchange's public ticker (no credentials), polled through the same
// `endpoints.rest` base as the account's private requests, one small poller per exchange and base. A pair is
// polled while some account holds or owes its currency; requests keep to a quarter of the venue's public limit
// and never more often than every `minIntervalMs` per pair. A venue that refuses (429, with or without
// Retry-After) or fails is asked again later and later (doubling, at most every 10 minutes). Each price keeps its
// source and time; a price older than three polls is stale; a pair the venue does not list is said, not guessed.
import type { Dec } from '../../domain/decimal.ts';
import { backoffWithJitter, POLL_JITTER } from '../../exchanges/kit/backoff.ts';
import { httpGet, retryAfterMs, type HttpResult } from '../../exchanges/kit/http-client.ts';
import type { TickerSpec } from '../../exchanges/server-types.ts';
import type { ExchangeCatalog } from '../exchanges.ts';
import type { ProxyLogger } from '../log.ts';

/** Default shortest time between two polls of one pair. */
export const MIN_INTERVAL_MS = 15_000;
/** A pair the venue does not list is asked again this often (it may be listed later). */
export const UNLISTED_RETRY_MS = 600_000;
/** Share of the venue's public request limit the proxy allows itself. */
export const LIMIT_SHARE = 0.25;
/** A price older than this many poll intervals is stale. */
export const STALE_POLLS = 3;
/** The longest pause after refusals or failures. */
export const MAX_PAUSE_MS = 600_000;

/** What the proxy knows of one pair's price. */
export interface PriceView {
  currency: string;
  reference: string;
  pair: string;
  /** Null: no price (never received, or the pair is not listed). */
  price: Dec | null;
  /** e.g. "Bitso ticker btc_usd (last)". */
  source: string;
  /** When the price was received (ms epoch), or null. */
  at: number | null;
  stale: boolean;
  /** The last problem reading this pair, in words; null after a good read. */
  problem: string | null;
}

export interface PriceBookOptions {
  catalog: ExchangeCatalog;
  log: ProxyLogger;
  now?: () => number;
  /** GET a ticker (tests inject a double). Default: httpGet with a 10 s timeout and a 256 KiB cap. */
  get?: (url: URL, signal: AbortSignal) => Promise<HttpResult>;
  minIntervalMs?: number;
  /** Jitter source of the pauses after failures (tests pin it). */
  random?: () => number;
}

interface PairState {
  currency: string;
  reference: string;
  pair: string;
  url: URL;
  price: Dec | null;
  field: string | null;
  at: number | null;
  problem: string | null;
  unlisted: boolean;
  /** When the pair was last asked (ms epoch); null: never. */
  asked: number | null;
  /** Accounts holding or owing the currency: the pair is polled while there is one. */
  holders: Set<string>;
}

interface Poller {
  exchangeName: string;
  /** The REST base, for log lines. */
  rest: string;
  /** Refusals or failures in a row; the next request waits longer each time. */
  failures: number;
  /** No request before this time (ms epoch). */
  pausedUntil: number;
  spec: TickerSpec;
  pairs: Map<string, PairState>;
  /** Time between two requests of this poller, ms. */
  gapMs: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  busy: boolean;
}

function key(exchange: string, rest: string): string {
  return `${exchange} ${rest}`;
}

/** Prices of every pair an account holds, polled from the venues' public tickers. */
export class PriceBook {
  private readonly pollers = new Map<string, Poller>();
  private readonly now: () => number;
  private readonly get: (url: URL, signal: AbortSignal) => Promise<HttpResult>;
  private readonly minIntervalMs: number;
  private readonly random: () => number;
  private running = false;
  private aborter = new AbortController();
  /** Pairs each account holds, by account id: `${poller key}\n${pair}`. */
  private readonly holdings = new Map<string, Set<string>>();

  constructor(private readonly options: PriceBookOptions) {
    this.now = options.now ?? Date.now;
    this.get =
      options.get ?? ((url, signal) => httpGet(url, {}, { timeoutMs: 10_000, maxBytes: 256 * 1024, signal }));
    this.minIntervalMs = options.minIntervalMs ?? MIN_INTERVAL_MS;
    this.random = options.random ?? Math.random;
  }

  /** True when the exchange has a public ticker the proxy reads. */
  hasTicker(exchange: string): boolean {
    return this.options.catalog.get(exchange)?.server.ticker !== undefined;
  }

  /**
   * The currencies one account holds or owes (never its reference currency): their pairs are polled from now on,
   * and pairs no account holds any more are dropped. Currencies are matched as the venue writes them.
   */
  hold(
    accountId: string,
    exchange: string,
    rest: string,
    currencies: readonly string[],
    reference: string,
  ): void {
    const entry = this.options.catalog.get(exchange);
    const spec = entry?.server.ticker;
    const wanted = new Set<string>();
    if (entry && spec) {
      const k = key(exchange, rest);
      let poller = this.pollers.get(k);
      if (!poller && currencies.length > 0) {
        poller = {
          exchangeName: entry.browser.name,
          rest,
          failures: 0,
          pausedUntil: 0,
          spec,
          pairs: new Map(),
          gapMs: Math.ceil(60_000 / Math.max(1, spec.perMinute * LIMIT_SHARE)),
          timer: undefined,
          busy: false,
        };
        this.pollers.set(k, poller);
      }
      for (const currency of currencies) {
        if (!poller) break;
        const pair = spec.pair(currency, reference);
        wanted.add(`${k}\n${pair}`);
        let state = poller.pairs.get(pair);
        if (!state) {
          state = {
            currency,
            reference,
            pair,
            url: new URL(`${rest.replace(/\/+$/, '')}/${spec.path(pair)}`),
            price: null,
            field: null,
            at: null,
            problem: null,
            unlisted: false,
            asked: null,
            holders: new Set(),
          };
          poller.pairs.set(pair, state);
          if (this.running) this.schedule(poller, 0);
        }
        state.holders.add(accountId);
      }
    }
    // Pairs this account held before and holds no more.
    for (const held of this.holdings.get(accountId) ?? []) {
      if (wanted.has(held)) continue;
      const [k = '', pair = ''] = held.split('\n');
      const poller = this.pollers.get(k);
      const state = poller?.pairs.get(pair);
      state?.holders.delete(accountId);
      if (poller && state && state.holders.size === 0) poller.pairs.delete(pair);
    }
    this.holdings.set(accountId, wanted);
  }

  /** The pair's price as known now; undefined when the exchange has no ticker. */
  price(exchange: string, rest: string, currency: string, reference: string): PriceView | undefined {
    const poller = this.pollers.get(key(exchange, rest));
    const spec = this.options.catalog.get(exchange)?.server.ticker;
    if (!spec) return undefined;
    const pair = spec.pair(currency, reference);
    const state = poller?.pairs.get(pair);
    const name = poller?.exchangeName ?? this.options.catalog.get(exchange)?.browser.name ?? exchange;
    if (!poller || !state) {
      return {
        currency,
        reference,
        pair,
        price: null,
        source: `${name} ticker ${pair}`,
        at: null,
        stale: false,
        problem: 'not asked yet',
      };
    }
    const interval = this.intervalMs(poller);
    return {
      currency,
      reference,
      pair,
      price: state.unlisted ? null : state.price,
      source: `${name} ticker ${pair}${state.field ? ` (${state.field})` : ''}`,
      at: state.unlisted ? null : state.at,
      stale: !state.unlisted && state.at !== null && this.now() - state.at > STALE_POLLS * interval,
      problem: state.asked === null ? 'not asked yet' : state.problem,
    };
  }

  /** Time between two polls of one pair of this poller: every pair in turn, inside the limit. */
  intervalMs(poller: Poller): number {
    return Math.max(this.minIntervalMs, poller.gapMs * Math.max(1, poller.pairs.size));
  }

  /** Starts the pollers. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.aborter = new AbortController();
    for (const poller of this.pollers.values()) this.schedule(poller, 0);
  }

  /** Stops the pollers; a request in flight is abandoned and its answer never stored. */
  stop(): void {
    this.running = false;
    this.aborter.abort();
    for (const poller of this.pollers.values()) {
      if (poller.timer) clearTimeout(poller.timer);
      poller.timer = undefined;
    }
  }

  /** Polls, for every poller, the most overdue pair that is due (tests call it directly with a fake clock). */
  async pollDue(): Promise<void> {
    await Promise.all([...this.pollers.values()].map((p) => this.pollOne(p)));
  }

  private schedule(poller: Poller, delayMs: number): void {
    if (!this.running || poller.timer) return;
    poller.timer = setTimeout(() => {
      poller.timer = undefined;
      void this.pollOne(poller).finally(() =>
        this.schedule(poller, Math.max(poller.gapMs, poller.pausedUntil - this.now())),
      );
    }, delayMs);
    poller.timer.unref?.();
  }

  private due(poller: Poller, now: number): PairState | undefined {
    const interval = this.intervalMs(poller);
    let best: PairState | undefined;
    for (const state of poller.pairs.values()) {
      const wait = state.unlisted ? UNLISTED_RETRY_MS : interval;
      if (state.asked !== null && now - state.asked < wait) continue;
      if (!best || (state.asked ?? -Infinity) < (best.asked ?? -Infinity)) best = state;
    }
    return best;
  }

  private async pollOne(poller: Poller): Promise<void> {
    if (poller.busy || this.now() < poller.pausedUntil) return;
    const state = this.due(poller, this.now());
    if (!state) return;
    poller.busy = true;
    state.asked = this.now();
    const before = state.problem;
    const signal = this.aborter.signal;
    const where = { venue: poller.exchangeName, rest: poller.rest, pair: state.pair };
    try {
      const result = await this.get(state.url, signal);
      if (signal.aborted) return;
      const outcome = poller.spec.parse(result.status, result.json ?? result.text, state.pair);
      if (outcome.ok) {
        state.price = outcome.price;
        state.field = outcome.field;
        state.at = this.now();
        state.problem = null;
        state.unlisted = false;
        poller.failures = 0;
        if (before !== null && state.asked !== null) this.options.log.info('ticker read again', where);
      } else {
        state.problem = outcome.error;
        state.unlisted = outcome.unlisted === true;
        if (!state.unlisted) this.pause(poller, result);
        if (before !== state.problem)
          this.options.log.warn('ticker not read', { ...where, problem: outcome.error });
      }
    } catch (err) {
      if (signal.aborted) return;
      state.problem = err instanceof Error ? err.message : String(err);
      this.pause(poller);
      if (before !== state.problem) {
        this.options.log.warn('ticker not reached', { ...where, problem: state.problem });
      }
    } finally {
      poller.busy = false;
    }
  }

  /** After a refusal or a failure: wait the venue's Retry-After, else longer each time in a row. */
  private pause(poller: Poller, result?: HttpResult): void {
    poller.failures += 1;
    const asked = result ? retryAfterMs(result.headers, this.now()) : undefined;
    const wait =
      asked ??
      backoffWithJitter(
        { baseMs: this.minIntervalMs, attempt: poller.failures - 1, maxMs: MAX_PAUSE_MS, above: POLL_JITTER },
        this.random,
      );
    poller.pausedUntil = this.now() + Math.min(MAX_PAUSE_MS, Math.max(wait, poller.gapMs));
  }
}
