// Connection life-cycle shared by every exchange upstream: reconnect with exponential backoff and full
// jitter, a watchdog that tells a silent connection from a live one, slow retries after an auth failure,
// and status reporting on every change. Exchange folders supply only "one session" or "one poll".
import type { Upstream, UpstreamDeps, UpstreamState } from '../exchanges/server-types.ts';

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

/** "Full jitter": a uniformly random wait in [0, min(max, base · 2^attempt)). */
export function fullJitterDelay(
  attempt: number,
  options: Pick<BackoffOptions, 'baseMs' | 'maxMs' | 'random'>,
): number {
  const window = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(options.random() * window);
}

/** Auth failures retry slowly: base · 2^n, with ±20 % jitter, never a hot loop. */
export function authRetryDelay(failures: number, options: BackoffOptions): number {
  const base = Math.min(options.authRetryMaxMs, options.authRetryMs * 2 ** Math.min(failures, 20));
  return Math.floor(base * (0.8 + 0.4 * options.random()));
}

/** Resolves after `ms`, or early (without rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
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
  /** Call on every sign of life from the exchange: a data message, a ping, a pong. */
  alive(): void;
  /** Call once authenticated and subscribed (status → live). Counts as a sign of life. */
  live(): void;
  /** Failed attempts since start or since the last session that reached live (0 on the very first). */
  attempt: number;
}

export interface ReconnectOptions {
  deps: Pick<UpstreamDeps, 'setStatus' | 'log'>;
  /** Runs one connection until it ends; must watch ctx.signal and close promptly on abort. Rejections count as errors. */
  session(ctx: SessionContext): Promise<SessionEnd>;
  /** No sign of life for this long ⇒ status `stale`. */
  staleAfterMs: number;
  /** No sign of life for this long ⇒ the connection is aborted and replaced. */
  deadAfterMs: number;
  backoff?: Partial<BackoffOptions>;
  /**
   * A session must stay live this long (ms) before the backoff resets; a server that accepts and then drops
   * every connection keeps the waits growing instead of reconnecting within a second forever. Default 30 s.
   */
  stableAfterMs?: number;
  /** How often the watchdog looks (ms); default a quarter of staleAfterMs, at most 1 s. */
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

/** An Upstream that keeps one session open, replacing it whenever it ends or goes silent. */
export function reconnectingUpstream(options: ReconnectOptions): Upstream {
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const now = options.now ?? Date.now;
  const report = statusReporter(options.deps.setStatus);
  const stopper = new AbortController();
  let loop: Promise<void> | undefined;

  async function run(): Promise<void> {
    let attempt = 0;
    let authFailures = 0;
    let everLive = false;
    let lastEnd: SessionEnd | undefined;
    while (!stopper.signal.aborted) {
      if (lastEnd === undefined) report('connecting');

      const session = new AbortController();
      const onStop = (): void => session.abort();
      stopper.signal.addEventListener('abort', onStop, { once: true });
      let lastAlive = now();
      let isLive = false;
      let liveSince = 0;
      let deadDetail: string | undefined;
      const watchdog = setInterval(
        () => {
          const silent = now() - lastAlive;
          if (silent >= options.deadAfterMs && !session.signal.aborted) {
            deadDetail = `no data for ${seconds(silent)}; connection replaced`;
            session.abort();
          } else if (isLive && silent >= options.staleAfterMs) {
            report('stale', `no data for over ${seconds(options.staleAfterMs)}`);
          }
        },
        options.watchdogMs ?? Math.min(1_000, Math.max(10, Math.floor(options.staleAfterMs / 4))),
      );
      const ctx: SessionContext = {
        signal: session.signal,
        attempt,
        alive: () => {
          lastAlive = now();
          if (isLive) report('live');
        },
        live: () => {
          lastAlive = now();
          if (!isLive) liveSince = now();
          isLive = true;
          everLive = true;
          report('live');
        },
      };
      let end: SessionEnd;
      try {
        end = await options.session(ctx);
      } catch (err) {
        end = { kind: 'error', detail: err instanceof Error ? err.message : String(err) };
      } finally {
        clearInterval(watchdog);
        stopper.signal.removeEventListener('abort', onStop);
      }
      if (stopper.signal.aborted) break;
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
        await sleep(wait, stopper.signal);
        continue;
      }
      authFailures = 0;
      if (isLive && now() - liveSince >= (options.stableAfterMs ?? 30_000)) attempt = 0;
      const wait = fullJitterDelay(attempt, backoff);
      attempt += 1;
      options.deps.log.info('upstream session ended', {
        kind: end.kind,
        detail: end.detail,
        retryInMs: wait,
        everLive,
      });
      report('reconnecting', `${end.detail}; retrying in ${seconds(wait)}`);
      await sleep(wait, stopper.signal);
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      stopper.abort();
      await loop;
    },
  };
}

/** Outcome of one poll. `retry`: a transient failure (HTTP 429/5xx, timeout); `auth`: credentials rejected. */
export type PollResult =
  | { kind: 'ok' }
  /** `auth`: credentials rejected (auth_failed); `fatal`: will not fix itself, e.g. a 404 path (error). Both retry slowly. */
  | { kind: 'auth' | 'fatal'; detail: string }
  | { kind: 'retry'; detail: string; retryAfterMs?: number };

export interface PollOptions {
  deps: Pick<UpstreamDeps, 'setStatus' | 'log'>;
  intervalMs: number;
  /** One request; must honour the signal (abort = stop). Rejections count as `retry`. */
  poll(signal: AbortSignal): Promise<PollResult>;
  /** When false the poller never reports status (a secondary channel beside a primary stream); failures are logged. */
  reportStatus?: boolean;
  backoff?: Partial<BackoffOptions>;
}

/** An Upstream that polls at a fixed interval, backing off on failures and slowing right down on auth failures. */
export function pollingUpstream(options: PollOptions): Upstream {
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const reportStatus = options.reportStatus ?? true;
  const reporter = statusReporter(options.deps.setStatus);
  const report = (state: UpstreamState, detail?: string): void => {
    if (reportStatus) reporter(state, detail);
  };
  const stopper = new AbortController();
  let loop: Promise<void> | undefined;

  async function run(): Promise<void> {
    let failures = 0;
    let authFailures = 0;
    report('connecting');
    while (!stopper.signal.aborted) {
      let result: PollResult;
      try {
        result = await options.poll(stopper.signal);
      } catch (err) {
        result = { kind: 'retry', detail: err instanceof Error ? err.message : String(err) };
      }
      if (stopper.signal.aborted) break;
      let wait: number;
      if (result.kind === 'ok') {
        failures = 0;
        authFailures = 0;
        report('live');
        wait = options.intervalMs;
      } else if (result.kind === 'auth' || result.kind === 'fatal') {
        wait = authRetryDelay(authFailures, backoff);
        authFailures += 1;
        report(result.kind === 'auth' ? 'auth_failed' : 'error', result.detail);
        options.deps.log.warn(result.kind === 'auth' ? 'poll auth failed' : 'poll failed', {
          detail: result.detail,
          retryInMs: wait,
        });
      } else {
        wait = Math.max(options.intervalMs, result.retryAfterMs ?? 0, fullJitterDelay(failures, backoff));
        failures += 1;
        report('reconnecting', `${result.detail}; retrying in ${seconds(wait)}`);
        options.deps.log.info('poll failed', { detail: result.detail, retryInMs: wait });
      }
      await sleep(wait, stopper.signal);
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      stopper.abort();
      await loop;
    },
  };
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
