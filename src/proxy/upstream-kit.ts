// Connection life-cycle shared by every exchange upstream: reconnect with exponential backoff and full
// jitter, `live` only once a session delivers data, a watchdog that tells a silent connection from a live one
// and watches each data channel against its own cadence, slow retries after an auth failure, polls within the
// API key's request budget, jitter on every wait, and status reporting on every change. Exchange folders supply
// only "one session" or "one poll".
import type { IncomingMessage } from 'node:http';
import WebSocket, { type RawData } from 'ws';
import type { AccountConfig, Upstream, UpstreamDeps, UpstreamState } from '../exchanges/server-types.ts';
import { retryAfterMs } from './http-client.ts';
import { sentHeadersRedactor } from './log.ts';

export interface BackoffOptions {
  /** First retry waits up to this long (ms). */
  baseMs: number;
  /** Cap of the exponential window (ms). */
  maxMs: number;
  /** First wait after an auth failure (ms); doubles per repeated failure up to authRetryMaxMs. */
  authRetryMs: number;
  authRetryMaxMs: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 1_000,
  maxMs: 60_000,
  authRetryMs: 60_000,
  authRetryMaxMs: 15 * 60_000,
  random: Math.random,
};

/** One wait: a window that may grow per attempt, and how far the drawn wait may fall below or rise above it. */
export interface JitteredWait {
  /** The window at attempt 0 (ms). */
  baseMs: number;
  /** Doublings of the window (default 0). */
  attempt?: number;
  /** Cap of the window (default: no cap). */
  maxMs?: number;
  /** Fraction of the window the wait may fall below it (1 = "full jitter", anywhere from 0). Default 0. */
  below?: number;
  /** Fraction of the window the wait may rise above it. Default 0. */
  above?: number;
}

/**
 * Every wait of the upstreams (reconnects, auth retries, Retry-After, poll intervals): the window
 * min(maxMs, baseMs · 2^attempt), drawn uniformly from [window · (1 − below), window · (1 + above)). Jitter on
 * every wait keeps accounts that failed together (one key locked out, one exchange outage) from retrying in step.
 */
export function backoffWithJitter(wait: JitteredWait, random: () => number): number {
  const window = Math.min(wait.maxMs ?? Infinity, wait.baseMs * 2 ** Math.min(wait.attempt ?? 0, 30));
  const below = wait.below ?? 0;
  const above = wait.above ?? 0;
  return Math.max(0, Math.floor(window * (1 - below + (below + above) * random())));
}

/** Reconnects: "full jitter", a uniformly random wait in [0, min(max, base · 2^attempt)). */
export function fullJitterDelay(
  attempt: number,
  options: Pick<BackoffOptions, 'baseMs' | 'maxMs' | 'random'>,
): number {
  return backoffWithJitter(
    { baseMs: options.baseMs, attempt, maxMs: options.maxMs, below: 1 },
    options.random,
  );
}

/** Auth failures retry slowly: base · 2^n, with ±20 % jitter, never a hot loop. */
export function authRetryDelay(failures: number, options: BackoffOptions): number {
  return backoffWithJitter(
    {
      baseMs: options.authRetryMs,
      attempt: Math.min(failures, 20),
      maxMs: options.authRetryMaxMs,
      below: 0.2,
      above: 0.2,
    },
    options.random,
  );
}

/** A poll interval is stretched by up to this fraction (never shortened, so a request budget still holds). */
export const POLL_JITTER = 0.1;
/** A Retry-After (or an exchange's lock-out) is waited out and then up to this fraction more. */
export const RETRY_AFTER_JITTER = 0.2;

/** Longest wait a Node timer can hold (2^31 − 1 ms, about 24.8 days); a longer one would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Longest Retry-After a poller honours (15 min): an exchange asking for more is asked again after this. */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

/**
 * Resolves after `ms` (clamped to [0, MAX_TIMER_MS], so a huge wait never turns into an immediate one), or early
 * (without rejecting) when `signal` aborts.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  const delay = Number.isNaN(ms) ? 0 : Math.min(Math.max(ms, 0), MAX_TIMER_MS);
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, delay);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Why a session ended. `auth`: the exchange rejected the credentials (state auth_failed, slow retries).
 * `fatal`: a failure that will not fix itself by reconnecting — a wrong endpoint, an unknown account, a
 * refused protocol handshake (state error, slow retries).
 */
export type SessionEnd =
  { kind: 'closed' | 'error'; detail: string } | { kind: 'auth' | 'fatal'; detail: string };

export interface SessionContext {
  /** Aborted when the upstream stops or the watchdog declares the connection dead: close the socket then. */
  signal: AbortSignal;
  /** Call on every sign of life from the exchange: a data message, a ping, a pong. Never makes a session live. */
  alive(): void;
  /**
   * Call when the exchange delivers account data (on `channel`, when the upstream watches that channel's
   * cadence). A session is `live` only from its first data on: an open socket, an answered handshake or a
   * keep-alive proves the connection, not the feed. Counts as a sign of life.
   */
  data(channel?: string): void;
  /**
   * How to ask again for a watched channel that went quiet (e.g. re-send its SUBSCRIBE). Register once the
   * session has subscribed; a channel quiet for its missed beats is resubscribed once, and the connection is
   * replaced if it stays quiet as long again. Without a handler a quiet channel replaces the connection at once.
   */
  onQuiet(resubscribe: (channel: string) => void): void;
  /** Failed attempts since start or since the last session that stayed live (0 on the very first). */
  attempt: number;
}

/** A data channel the exchange pushes at a known cadence, watched on its own (keep-alives do not count). */
export interface DataChannel {
  name: string;
  /** The exchange's push interval (ms). */
  cadenceMs: number;
  /** Pushes missed before the channel counts as quiet (default 3). */
  missedBeats?: number;
}

export interface ReconnectOptions {
  deps: Pick<UpstreamDeps, 'setStatus' | 'log'>;
  /** Runs one connection until it ends; must watch ctx.signal and close promptly on abort. Rejections count as errors. */
  session(ctx: SessionContext): Promise<SessionEnd>;
  /** No sign of life for this long ⇒ status `stale`. */
  staleAfterMs: number;
  /** No sign of life for this long ⇒ the connection is aborted and replaced. */
  deadAfterMs: number;
  /** Channels with a known cadence, each watched against it (see SessionContext.onQuiet). */
  channels?: readonly DataChannel[];
  /**
   * A connection that has delivered no data this long after it was opened is replaced, even while keep-alives
   * flow (for exchanges that push the latest data on connect). Default: no such limit.
   */
  firstDataWithinMs?: number;
  backoff?: Partial<BackoffOptions>;
  /**
   * A session must stay live this long (ms) before the backoff resets; a server that accepts and then drops
   * every connection keeps the waits growing instead of reconnecting within a second forever. Default 30 s.
   */
  stableAfterMs?: number;
  /** How often the watchdog looks (ms); default a quarter of the shortest watched interval, at most 1 s. */
  watchdogMs?: number;
  now?: () => number;
}

/** Reports a state only when it or its detail changes. */
export function statusReporter(
  setStatus: UpstreamDeps['setStatus'],
): (state: UpstreamState, detail?: string) => void {
  let last = '';
  return (state, detail) => {
    const key = `${state}\u0000${detail ?? ''}`;
    if (key === last) return;
    last = key;
    setStatus(state, detail);
  };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/** An Upstream running `run` once from start() until stop() aborts its signal; stop() waits for it to return. */
function loopingUpstream(run: (stopped: AbortSignal) => Promise<void>): Upstream {
  const stopper = new AbortController();
  let loop: Promise<void> | undefined;
  return {
    start() {
      loop ??= run(stopper.signal);
    },
    async stop() {
      stopper.abort();
      await loop;
    },
  };
}

/** Quiet window of a watched channel (ms). */
function quietAfterMs(channel: DataChannel): number {
  return channel.cadenceMs * (channel.missedBeats ?? 3);
}

/** The watchdog of one connection: what it has delivered, per channel, and whether it should be replaced. */
interface Watch {
  /** A status to show now, or undefined when the session has not delivered data yet. */
  status(): { state: 'live' | 'stale'; detail?: string } | undefined;
  /** Why the connection must be replaced, or undefined. Resubscribes quiet channels first. */
  check(): string | undefined;
}

function connectionWatch(
  options: ReconnectOptions,
  now: () => number,
  state: { opened: number; lastAlive: number; firstData?: number; resubscribe?: (channel: string) => void },
  lastData: Map<string, number>,
  resubscribedAt: Map<string, number>,
): Watch {
  const channels = options.channels ?? [];
  return {
    status() {
      if (state.firstData === undefined) return undefined;
      const t = now();
      const silent = t - state.lastAlive;
      if (silent >= options.staleAfterMs) {
        return { state: 'stale', detail: `no data for over ${seconds(options.staleAfterMs)}` };
      }
      for (const channel of channels) {
        const window = quietAfterMs(channel);
        if (t - (lastData.get(channel.name) ?? state.opened) < window) continue;
        const asked = resubscribedAt.has(channel.name) ? '; subscribed again' : '';
        return { state: 'stale', detail: `no ${channel.name} for over ${seconds(window)}${asked}` };
      }
      return { state: 'live' };
    },
    check() {
      const t = now();
      const silent = t - state.lastAlive;
      if (silent >= options.deadAfterMs) return `no data for ${seconds(silent)}; connection replaced`;
      const firstWithin = options.firstDataWithinMs;
      if (state.firstData === undefined && firstWithin !== undefined && t - state.opened >= firstWithin) {
        return `connected, but no data for ${seconds(t - state.opened)}; connection replaced`;
      }
      for (const channel of channels) {
        const quiet = t - (lastData.get(channel.name) ?? state.opened);
        const window = quietAfterMs(channel);
        if (quiet < window) continue;
        const askedAt = resubscribedAt.get(channel.name);
        if (askedAt === undefined && state.resubscribe) {
          resubscribedAt.set(channel.name, t);
          options.deps.log.warn('upstream channel quiet; subscribing again', {
            channel: channel.name,
            quietMs: quiet,
          });
          state.resubscribe(channel.name);
          continue;
        }
        if (askedAt === undefined || t - askedAt >= window) {
          const again = askedAt === undefined ? '' : ', also after subscribing again';
          return `no ${channel.name} for ${seconds(quiet)}${again}; connection replaced`;
        }
      }
      return undefined;
    },
  };
}

/**
 * An Upstream that keeps one session open, replacing it whenever it ends or goes silent. The status is `live`
 * only while a session delivers data: a reconnected socket stays `reconnecting` (with the reason it was
 * replaced) until data flows again, so a silent exchange never looks live.
 */
export function reconnectingUpstream(options: ReconnectOptions): Upstream {
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const now = options.now ?? Date.now;
  const report = statusReporter(options.deps.setStatus);
  const shortest = Math.min(options.staleAfterMs, ...(options.channels ?? []).map((c) => c.cadenceMs));
  const watchdogMs = options.watchdogMs ?? Math.min(1_000, Math.max(10, Math.floor(shortest / 4)));

  return loopingUpstream(async (stopped) => {
    let attempt = 0;
    let authFailures = 0;
    let everLive = false;
    let lastEnd: SessionEnd | undefined;
    while (!stopped.aborted) {
      if (lastEnd === undefined) report('connecting');
      else if (lastEnd.kind === 'closed' || lastEnd.kind === 'error') {
        // Still not live: the new connection shows its state only once it delivers data.
        report('reconnecting', `${lastEnd.detail}; connecting again`);
      }

      const session = new AbortController();
      const onStop = (): void => session.abort();
      stopped.addEventListener('abort', onStop, { once: true });
      const state: Parameters<typeof connectionWatch>[2] = { opened: now(), lastAlive: now() };
      const lastData = new Map<string, number>();
      const resubscribedAt = new Map<string, number>();
      const watch = connectionWatch(options, now, state, lastData, resubscribedAt);
      let deadDetail: string | undefined;
      const show = (): void => {
        const status = watch.status();
        if (status && !session.signal.aborted) report(status.state, status.detail);
      };
      const watchdog = setInterval(() => {
        if (session.signal.aborted) return;
        deadDetail = watch.check();
        if (deadDetail !== undefined) session.abort();
        else show();
      }, watchdogMs);
      const ctx: SessionContext = {
        signal: session.signal,
        attempt,
        alive: () => {
          state.lastAlive = now();
          show();
        },
        data: (channel) => {
          const t = now();
          state.lastAlive = t;
          state.firstData ??= t;
          everLive = true;
          if (channel !== undefined) {
            lastData.set(channel, t);
            resubscribedAt.delete(channel);
          }
          show();
        },
        onQuiet: (resubscribe) => {
          state.resubscribe = resubscribe;
        },
      };
      let end: SessionEnd;
      try {
        end = await options.session(ctx);
      } catch (err) {
        end = { kind: 'error', detail: err instanceof Error ? err.message : String(err) };
      } finally {
        clearInterval(watchdog);
        stopped.removeEventListener('abort', onStop);
      }
      if (stopped.aborted) break;
      if (deadDetail !== undefined) end = { kind: 'closed', detail: deadDetail };
      lastEnd = end;

      if (end.kind === 'auth' || end.kind === 'fatal') {
        report(end.kind === 'auth' ? 'auth_failed' : 'error', end.detail);
        const wait = authRetryDelay(authFailures, backoff);
        authFailures += 1;
        options.deps.log.warn(end.kind === 'auth' ? 'upstream auth failed' : 'upstream failed', {
          detail: end.detail,
          retryInMs: wait,
        });
        await sleep(wait, stopped);
        continue;
      }
      authFailures = 0;
      const { firstData } = state;
      if (firstData !== undefined && now() - firstData >= (options.stableAfterMs ?? 30_000)) attempt = 0;
      const wait = fullJitterDelay(attempt, backoff);
      attempt += 1;
      options.deps.log.info('upstream session ended', {
        kind: end.kind,
        detail: end.detail,
        retryInMs: wait,
        everLive,
      });
      report('reconnecting', `${end.detail}; retrying in ${seconds(wait)}`);
      await sleep(wait, stopped);
    }
  });
}

/** Outcome of one poll. `retry`: a transient failure (HTTP 429/5xx, timeout); `auth`: credentials rejected. */
export type PollResult =
  | { kind: 'ok' }
  /** `auth`: credentials rejected (auth_failed); `fatal`: will not fix itself, e.g. a 404 path (error). Both retry slowly. */
  | { kind: 'auth' | 'fatal'; detail: string }
  | { kind: 'retry'; detail: string; retryAfterMs?: number };

export interface PollOptions {
  deps: Pick<UpstreamDeps, 'setStatus' | 'log' | 'pollPlan'>;
  /** The configured interval (ms). A request budget in deps.pollPlan may stretch it and offset the first poll. */
  intervalMs: number;
  /** One request; must honour the signal (abort = stop). Rejections count as `retry`. */
  poll(signal: AbortSignal): Promise<PollResult>;
  /** When false the poller never reports status (a secondary channel beside a primary stream); failures are logged. */
  reportStatus?: boolean;
  backoff?: Partial<BackoffOptions>;
}

/**
 * An Upstream that polls at a fixed interval (stretched and phase-shifted by the API key's request budget,
 * with jitter), backing off on failures and slowing right down on auth failures.
 */
export function pollingUpstream(options: PollOptions): Upstream {
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const reportStatus = options.reportStatus ?? true;
  const reporter = statusReporter(options.deps.setStatus);
  const report = (state: UpstreamState, detail?: string): void => {
    if (reportStatus) reporter(state, detail);
  };
  const plan = options.deps.pollPlan;
  const intervalMs = Math.max(options.intervalMs, plan?.intervalMs ?? 0);

  return loopingUpstream(async (stopped) => {
    let failures = 0;
    let authFailures = 0;
    report('connecting');
    // Accounts sharing a key start at different phases of the interval, so their polls never coincide.
    if (plan !== undefined && plan.offsetMs > 0) await sleep(plan.offsetMs, stopped);
    while (!stopped.aborted) {
      let result: PollResult;
      try {
        result = await options.poll(stopped);
      } catch (err) {
        result = { kind: 'retry', detail: err instanceof Error ? err.message : String(err) };
      }
      if (stopped.aborted) break;
      let wait: number;
      if (result.kind === 'ok') {
        failures = 0;
        authFailures = 0;
        report('live');
        wait = backoffWithJitter({ baseMs: intervalMs, above: POLL_JITTER }, backoff.random);
      } else if (result.kind === 'auth' || result.kind === 'fatal') {
        wait = Math.max(intervalMs, authRetryDelay(authFailures, backoff));
        authFailures += 1;
        report(result.kind === 'auth' ? 'auth_failed' : 'error', result.detail);
        options.deps.log.warn(result.kind === 'auth' ? 'poll auth failed' : 'poll failed', {
          detail: result.detail,
          retryInMs: wait,
        });
      } else {
        const retryAfter = Math.min(
          result.kind === 'retry' ? (result.retryAfterMs ?? 0) : 0,
          MAX_RETRY_AFTER_MS,
        );
        wait = Math.max(
          backoffWithJitter(
            { baseMs: Math.max(intervalMs, retryAfter), above: RETRY_AFTER_JITTER },
            backoff.random,
          ),
          fullJitterDelay(failures, backoff),
        );
        failures += 1;
        report('reconnecting', `${result.detail}; retrying in ${seconds(wait)}`);
        options.deps.log.info('poll failed', { detail: result.detail, retryInMs: wait });
      }
      await sleep(wait, stopped);
    }
  });
}

/** Runs several upstreams of one account as one (e.g. a primary stream and a secondary REST poll). */
export function combineUpstreams(...upstreams: Upstream[]): Upstream {
  return {
    start() {
      for (const u of upstreams) u.start();
    },
    async stop() {
      await Promise.all(upstreams.map((u) => u.stop()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Pieces every exchange session shares: scaled intervals, frame decoding, HTTP refusals, the WebSocket
// session skeleton and a per-key lock for exchanges that need their signed requests to arrive in order.

/** Scales a protocol interval (timeScale < 1 runs faster in tests); never below 5 ms. */
export function scaled(ms: number, timeScale = 1): number {
  return Math.max(5, Math.round(ms * timeScale));
}

/** The text of a WebSocket frame, however `ws` delivered it (one buffer, fragments, an ArrayBuffer). */
export function frameText(data: RawData | string): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** A frame's JSON value, or the raw text when it is not JSON (the exchange's parser reports that). */
export function decodeFrame(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** An exchange's HTTP answer: a poll's response, or the answer to a refused WebSocket upgrade. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The body as text (capped). */
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: unknown;
  /**
   * Removes from a text every credential-bearing header value the request sent (signatures, keys, tokens), for
   * an exchange that echoes them in its error body. httpGet and wsSession set it; classifyRefusal applies it.
   */
  redact?: (text: string) => string;
}

/** How a refused request ends: credentials (`auth`), something reconnecting will not fix (`fatal`), or a retry. */
export type Refusal =
  { kind: 'auth' | 'fatal'; detail: string } | { kind: 'retry'; detail: string; retryAfterMs?: number };

/** The exchange-specific words of `classifyRefusal`. */
export interface RefusalWords {
  /** Display name, e.g. "BitoPro". */
  exchange: string;
  /** What the exchange said in its error body, shortened to one line; '' when nothing readable. */
  said(answer: HttpAnswer): string;
  /** What a trader should check when the credentials are refused, e.g. "check apiKey and apiSecret". */
  authHint: string;
  /** What to check on a 404; default "check the account's endpoints". */
  notFoundHint?: string;
  /** Readings that take precedence over the generic ones (e.g. a timestamp refusal sent as 401). */
  special?(answer: HttpAnswer, said: string): Refusal | undefined;
  /** Wait after a 429 that carries no Retry-After (ms). */
  rateLimitWaitMs?(answer: HttpAnswer): number | undefined;
}

/** Shortens an exchange's own words for a status line: one line, at most `max` characters. */
export function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * Reads a refused HTTP answer the same way for every exchange: 401/403 → `auth`; 404 → `fatal` (a wrong path
 * or host does not fix itself); 429 → retry after Retry-After (or the exchange's rate-limit wait); 409, 5xx and
 * anything else → retry (honouring Retry-After). The exchange's `special` readings come first. Whatever the
 * request sent as credentials (answer.redact) is removed from the detail.
 */
export function classifyRefusal(answer: HttpAnswer, words: RefusalWords): Refusal {
  const scrub = answer.redact ?? ((text: string) => text);
  const refusal = readRefusalAnswer(answer, words, scrub);
  return { ...refusal, detail: scrub(refusal.detail) };
}

function readRefusalAnswer(
  answer: HttpAnswer,
  words: RefusalWords,
  scrub: (text: string) => string,
): Refusal {
  const said = oneLine(scrub(words.said(answer)));
  const special = words.special?.(answer, said);
  if (special) return special;
  const { status } = answer;
  const quoted = said ? ` "${said}"` : '';
  const retryAfter = retryAfterMs(answer.headers);
  if (status === 401 || status === 403) {
    return {
      kind: 'auth',
      detail: `${words.exchange} refused the credentials (HTTP ${status}${quoted}): ${words.authHint}`,
    };
  }
  if (status === 404) {
    const hint = words.notFoundHint ?? "check the account's endpoints";
    return { kind: 'fatal', detail: `${words.exchange} answered HTTP 404${quoted}: ${hint}` };
  }
  if (status === 429) {
    const wait = retryAfter ?? words.rateLimitWaitMs?.(answer);
    return {
      kind: 'retry',
      detail: `${words.exchange} rate limit reached (HTTP 429${quoted})`,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    };
  }
  if (status >= 300 && status < 400) {
    return {
      kind: 'retry',
      detail: `${words.exchange} answered with a redirect (HTTP ${status}), not followed`,
    };
  }
  return {
    kind: 'retry',
    detail: `${words.exchange} answered HTTP ${status}${quoted}`,
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
  };
}

/** A refusal as the end of a stream session (a retry is a session error). */
export function refusalEnd(refusal: Refusal): SessionEnd {
  return refusal.kind === 'retry' ? { kind: 'error', detail: refusal.detail } : refusal;
}

/** Largest frame a stream session accepts by default (4 MiB). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Largest refusal body read from a refused upgrade. */
export const MAX_REFUSAL_BYTES = 4_096;

/** Reads a refused upgrade's status, headers and (capped) body. */
export function readRefusal(response: IncomingMessage, maxBytes = MAX_REFUSAL_BYTES): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const headers = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (typeof value === 'string') headers.set(name, value);
        else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      // An error body is a JSON object; anything else (text, HTML, a cut-off body) is kept only as text.
      const decoded = decodeFrame(text);
      const json = typeof decoded === 'object' && decoded !== null ? decoded : undefined;
      resolve({ status: response.statusCode ?? 0, headers, text, json });
    };
    response.on('data', (chunk: Buffer) => {
      if (size >= maxBytes) return;
      chunks.push(chunk.subarray(0, maxBytes - size));
      size += chunk.length;
    });
    response.on('end', finish);
    response.on('error', finish);
    response.on('close', finish);
  });
}

/** What a stream session's handlers may do with the connection. */
export interface WsLink {
  /** Sends a text frame while the socket is open (otherwise nothing). */
  send(text: string): void;
  /** Ends the session; the first call wins. */
  end(end: SessionEnd): void;
  /** Runs `fn` every `ms` until the session ends. */
  every(ms: number, fn: () => void): void;
  /** Runs `fn` once after `ms`, unless the session has ended by then. */
  after(ms: number, fn: () => void): void;
  readonly ended: boolean;
}

/** One WebSocket session of an exchange stream: where to connect and what the exchange's messages mean. */
export interface WsSessionSpec {
  url: URL | string;
  /** Handshake headers, built at the moment of connecting (inside `lock`, so a nonce is taken in send order). */
  headers?(): Record<string, string>;
  handshakeTimeoutMs: number;
  /** Largest accepted frame; default MAX_FRAME_BYTES. */
  maxPayload?: number;
  perMessageDeflate?: boolean;
  /** A lock held from signing until the exchange answers the upgrade; null when the session stopped waiting. */
  lock?(signal: AbortSignal): Promise<(() => void) | null>;
  /** How a refused upgrade ends the session (usually `refusalEnd(classifyRefusal(answer, words))`). */
  refused(answer: HttpAnswer): SessionEnd;
  /** The upgrade succeeded: send the protocol handshake or subscriptions, start keep-alives. */
  opened?(link: WsLink): void;
  /** One text frame (already counted as a sign of life). */
  message(text: string, link: WsLink, receivedAt: number): void;
  /** The exchange (or the network) closed the socket. */
  closed(code: number, reason: string): SessionEnd;
  /** A socket error (DNS, TLS, reset, handshake timeout). */
  failed(error: Error): SessionEnd;
  /** Applied to every end's detail before it is reported (e.g. to remove a token an error text echoes). */
  redact?(detail: string): string;
}

/** An error's message, for a session end. */
function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs one WebSocket session: connects (headers and maxPayload, no redirects), settles exactly once,
 * terminates the socket on abort unless it is already closed, reads a refused upgrade's status and capped
 * body, and maps close and error events to a SessionEnd. Pings, pongs and messages are signs of life. A spec
 * handler that throws ends the session as an `error` (never an exception in the socket's events), and every
 * end's detail is cleared of the handshake's credential headers before `spec.redact` sees it.
 */
export async function wsSession(ctx: SessionContext, spec: WsSessionSpec): Promise<SessionEnd> {
  const stopped: SessionEnd = { kind: 'closed', detail: 'connection closed by the proxy' };
  if (ctx.signal.aborted) return stopped;
  const release = spec.lock ? await spec.lock(ctx.signal) : () => {};
  if (release === null || ctx.signal.aborted) {
    release?.();
    return stopped;
  }
  return new Promise<SessionEnd>((resolve) => {
    const timers: { clear(): void }[] = [];
    let ended = false;
    let released = false;
    let scrubSent = (text: string): string => text;
    const unlock = (): void => {
      if (released) return;
      released = true;
      release();
    };
    function redacted(end: SessionEnd): SessionEnd {
      let detail = scrubSent(end.detail);
      try {
        if (spec.redact) detail = spec.redact(detail);
      } catch {
        detail = 'session ended (its detail could not be cleaned of credentials)';
      }
      return { ...end, detail };
    }
    /** The end a spec handler works out; a handler that throws ends the session as an error. */
    function endFrom(what: string, handler: () => SessionEnd): SessionEnd {
      try {
        return handler();
      } catch (err) {
        return { kind: 'error', detail: `${what} failed: ${errorText(err)}` };
      }
    }
    let socket: WebSocket;
    try {
      const headers = spec.headers?.() ?? {};
      const sent = sentHeadersRedactor(headers);
      scrubSent = (text) => sent.text(text);
      socket = new WebSocket(spec.url, {
        headers,
        handshakeTimeout: spec.handshakeTimeoutMs,
        maxPayload: spec.maxPayload ?? MAX_FRAME_BYTES,
        perMessageDeflate: spec.perMessageDeflate ?? false,
        followRedirects: false,
      });
    } catch (err) {
      unlock();
      const error = err instanceof Error ? err : new Error(String(err));
      resolve(redacted(endFrom('connecting', () => spec.failed(error))));
      return;
    }
    const link: WsLink = {
      send(text) {
        if (socket.readyState === WebSocket.OPEN) socket.send(text);
      },
      end(end) {
        if (ended) return;
        ended = true;
        unlock();
        for (const timer of timers) timer.clear();
        ctx.signal.removeEventListener('abort', onAbort);
        if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
        resolve(redacted(end));
      },
      every(ms, fn) {
        const id = setInterval(() => {
          if (!ended) guarded('a timer', fn);
        }, ms);
        timers.push({ clear: () => clearInterval(id) });
      },
      after(ms, fn) {
        const id = setTimeout(() => {
          if (!ended) guarded('a timer', fn);
        }, ms);
        timers.push({ clear: () => clearTimeout(id) });
      },
      get ended() {
        return ended;
      },
    };
    /** Runs a spec handler; a throw ends the session as an error. */
    function guarded(what: string, handler: () => void): void {
      try {
        handler();
      } catch (err) {
        link.end({ kind: 'error', detail: `${what} failed: ${errorText(err)}` });
      }
    }
    function onAbort(): void {
      link.end(stopped);
    }
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    socket.on('unexpected-response', (request, response) => {
      unlock();
      readRefusal(response)
        .then((answer) =>
          link.end(endFrom('reading the refusal', () => spec.refused({ ...answer, redact: scrubSent }))),
        )
        .catch((err: unknown) =>
          link.end({ kind: 'error', detail: `reading the refusal failed: ${errorText(err)}` }),
        )
        .finally(() => request.destroy());
    });
    socket.on('open', () => {
      unlock();
      guarded('starting the session', () => spec.opened?.(link));
    });
    socket.on('ping', () => ctx.alive());
    socket.on('pong', () => ctx.alive());
    socket.on('message', (data: RawData) => {
      if (ended) return;
      const receivedAt = Date.now();
      ctx.alive();
      guarded('handling a message', () => spec.message(frameText(data), link, receivedAt));
    });
    socket.on('close', (code: number, reason: Buffer) => {
      link.end(endFrom('reading the close', () => spec.closed(code, oneLine(reason.toString('utf8'), 120))));
    });
    socket.on('error', (err: Error) => link.end(endFrom('reading the error', () => spec.failed(err))));
  });
}

/**
 * Serialises tasks per key: a task starts only when the previous one on the same key has finished. For
 * exchanges that reject a nonce lower than the last one they saw: signing and sending inside the lock makes
 * the exchange see the nonces in the order they were taken.
 */
export class KeyedLock {
  private readonly waiting = new Map<string, (() => void)[]>();

  /** Resolves with the release function once the key is free; null if `signal` aborts first. */
  acquire(key: string, signal?: AbortSignal): Promise<(() => void) | null> {
    return new Promise((resolve) => {
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        this.next(key);
      };
      const queue = this.waiting.get(key);
      if (queue === undefined) {
        this.waiting.set(key, []);
        resolve(release);
        return;
      }
      if (signal?.aborted) {
        resolve(null);
        return;
      }
      const onAbort = (): void => {
        const at = queue.indexOf(grant);
        if (at >= 0) queue.splice(at, 1);
        resolve(null);
      };
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(release);
      };
      queue.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs `task` while holding the key; rejects without running it if `signal` aborts while waiting. */
  async run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(key, signal);
    if (release === null) throw new Error('stopped while waiting for the previous request');
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** True while a task holds `key` (for tests and diagnostics). */
  isHeld(key: string): boolean {
    return this.waiting.has(key);
  }

  private next(key: string): void {
    const queue = this.waiting.get(key);
    const grant = queue?.shift();
    if (grant) grant();
    else this.waiting.delete(key);
  }
}

/** Path and query exactly as they go out on the request line: what exchanges that sign the path sign. */
export function requestPathOf(url: URL): string {
  return `${url.pathname}${url.search}`;
}

/** One credential field of an account; a missing or empty one throws naming the field, never a value. */
export function requiredCredential(account: AccountConfig, field: string): string {
  const value = account.credentials[field];
  if (value === undefined || value === '')
    throw new Error(`account ${account.id}: credentials.${field} is missing`);
  return value;
}
