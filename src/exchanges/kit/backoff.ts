// Every wait of the exchange upstreams: exponential backoff with jitter for reconnects and auth retries, the
// jitter on poll intervals and Retry-After, an abortable sleep that never overflows a Node timer, and protocol
// intervals scaled for tests. Jitter on every wait keeps accounts that failed together from retrying in step.

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

/** Scales a protocol interval (timeScale < 1 runs faster in tests); never below 5 ms. */
export function scaled(ms: number, timeScale = 1): number {
  return Math.max(5, Math.round(ms * timeScale));
}
