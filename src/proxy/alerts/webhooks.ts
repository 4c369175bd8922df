// Alert delivery to webhooks: one JSON POST per alert in the webhook's format (webhook-formats.ts), with a
// timeout, retried with exponential backoff and jitter: 5 attempts in all by default. A webhook whose
// delivery gives up is marked failing with the reason (shown in the UI); while failing, each new alert gets a
// single attempt, so a dead URL is never retried forever. Deliveries to one webhook go out in order.
//
// Bodies carry no credential (webhook-formats.ts builds them from the alert event alone; `scrub` runs over
// each before sending, as defence in depth). A webhook URL may itself be a secret (Slack's path, Telegram's
// bot token): it never appears in logs or status, which name only its scheme and host.
import type { Logger } from '../../exchanges/server-types.ts';
import { retryAfterMs } from '../../exchanges/kit/http-client.ts';
import { backoffWithJitter, RETRY_AFTER_JITTER } from '../../exchanges/kit/backoff.ts';
import type { AlertEvent } from './engine.ts';
import type { WebhookStatusDto } from '../../contract/alerts.ts';
import { webhookRequest, type WebhookConfig } from './webhook-formats.ts';

export type { WebhookConfig };

/** What the UI sees of a webhook: the contract's shape (contract/alerts.ts). */
export type WebhookStatus = WebhookStatusDto;

export interface WebhookDispatcherOptions {
  webhooks: readonly WebhookConfig[];
  fetch?: typeof fetch;
  now?: () => number;
  /** Jitter source in [0, 1). */
  random?: () => number;
  log?: Logger;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Attempts per delivery while the webhook is healthy (default 5). */
  maxAttempts?: number;
  /** First retry delay; doubles each time, ×0.5–1.5 jitter (default 5 s: 5, 10, 20, 40 s ≈ 2 min at most). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Alerts kept per webhook while it is busy; the oldest are dropped beyond (default 100). */
  maxQueue?: number;
  /** Applied to every body before sending (defence in depth: bodies should never carry a secret). */
  scrub?: (text: string) => string;
}

export interface WebhookDispatcher {
  /** Queues the alert for every webhook; returns at once. */
  deliver(event: AlertEvent): void;
  status(): WebhookStatus[];
  /** Resolves when every queued delivery has finished (or given up). */
  idle(): Promise<void>;
  /** Stops: abandons queued deliveries and aborts the ones in flight. */
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_BASE_DELAY_MS = 5_000;
export const DEFAULT_MAX_DELAY_MS = 60_000;
export const DEFAULT_MAX_QUEUE = 100;

/** The scheme and host of a URL: all of it that may be shown. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'invalid URL';
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Parts of a URL that may be secret (path segments, query values), to scrub from texts echoed back. */
function urlSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    const parts = [url, parsed.pathname + parsed.search];
    for (const segment of parsed.pathname.split('/')) {
      // Telegram's segment is "bot<id>:<secret>": the token, and its secret half, may be echoed on their own.
      const pieces = [segment, segment.replace(/^bot/, ''), ...segment.split(':')];
      for (const piece of pieces) if (piece.length >= 8) parts.push(piece, safeDecode(piece));
    }
    for (const value of parsed.searchParams.values()) if (value.length >= 8) parts.push(value);
    return parts.sort((a, b) => b.length - a.length);
  } catch {
    return [url];
  }
}

function scrubWith(secrets: readonly string[], text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

class AttemptError extends Error {
  constructor(
    readonly reason: string,
    readonly retryable: boolean,
    readonly retryAfterMs: number | null = null,
  ) {
    super(reason);
  }
}

interface HookState {
  config: WebhookConfig;
  status: WebhookStatus;
  secrets: string[];
  queue: AlertEvent[];
  running: Promise<void> | null;
  controller: AbortController | null;
}

function errorCode(err: unknown): string | null {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/** Creates the dispatcher for the configured webhooks. */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const maxQueue = Math.max(1, options.maxQueue ?? DEFAULT_MAX_QUEUE);
  const scrub = options.scrub ?? ((text: string) => text);
  const log = options.log;
  let closed = false;
  const sleepers = new Set<() => void>();

  const hooks: HookState[] = options.webhooks.map((config, index) => ({
    config,
    secrets: urlSecrets(config.url),
    queue: [],
    running: null,
    controller: null,
    status: {
      index,
      target: redactUrl(config.url),
      format: config.format,
      state: 'idle',
      lastError: null,
      lastAttemptAt: null,
      lastSuccessAt: null,
      delivered: 0,
      failed: 0,
      queued: 0,
    },
  }));

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });
  }

  async function attempt(hook: HookState, event: AlertEvent): Promise<void> {
    const request = webhookRequest(hook.config, event);
    const controller = new AbortController();
    hook.controller = controller;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      let response: Response;
      try {
        response = await doFetch(request.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'margin-watch' },
          body: scrub(request.body),
          signal: controller.signal,
          redirect: 'manual',
        });
      } catch (err) {
        if (controller.signal.aborted) {
          throw new AttemptError(
            closed ? 'stopped' : `no answer within ${Math.round(timeoutMs / 1000)} s`,
            !closed,
          );
        }
        const code = errorCode(err);
        throw new AttemptError(`network error${code ? ` (${code})` : ''}`, true);
      }
      if (response.ok) {
        await response.body?.cancel().catch(() => undefined);
        return;
      }
      const text = await response.text().catch(() => '');
      const snippet = scrubWith(hook.secrets, scrub(text.replace(/\s+/g, ' ').trim())).slice(0, 160);
      const reason = `HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`;
      const status = response.status;
      const retryable = status === 408 || status === 425 || status === 429 || status >= 500;
      throw new AttemptError(reason, retryable, retryAfterMs(response.headers, now()) ?? null);
    } finally {
      clearTimeout(timer);
      hook.controller = null;
    }
  }

  async function deliverOne(hook: HookState, event: AlertEvent): Promise<void> {
    const s = hook.status;
    const attempts = s.state === 'failing' ? 1 : maxAttempts;
    for (let n = 1; n <= attempts && !closed; n += 1) {
      s.lastAttemptAt = now();
      try {
        await attempt(hook, event);
        Object.assign(s, { state: 'ok', lastError: null, lastSuccessAt: now(), delivered: s.delivered + 1 });
        return;
      } catch (err) {
        const failure = err instanceof AttemptError ? err : new AttemptError('unexpected error', true);
        if (closed) return;
        s.lastError = failure.reason;
        const last = n === attempts || !failure.retryable;
        log?.warn('alert webhook delivery failed', {
          webhook: s.target,
          format: s.format,
          attempt: n,
          giveUp: last,
          reason: failure.reason,
          alert: event.id,
        });
        if (last) {
          Object.assign(s, { state: 'failing', failed: s.failed + 1 });
          return;
        }
        s.state = 'retrying';
        const backoff = backoffWithJitter(
          { baseMs: baseDelayMs, attempt: n - 1, maxMs: maxDelayMs, below: 0.5, above: 0.5 },
          random,
        );
        const retryAfter =
          failure.retryAfterMs === null
            ? 0
            : backoffWithJitter({ baseMs: failure.retryAfterMs, above: RETRY_AFTER_JITTER }, random);
        const wait = Math.min(maxDelayMs, Math.max(backoff, retryAfter));
        await sleep(wait);
      }
    }
  }

  async function run(hook: HookState): Promise<void> {
    while (!closed) {
      const event = hook.queue.shift();
      hook.status.queued = hook.queue.length;
      if (!event) break;
      await deliverOne(hook, event);
    }
    hook.running = null;
  }

  return {
    deliver(event) {
      if (closed) return;
      for (const hook of hooks) {
        hook.queue.push(event);
        if (hook.queue.length > maxQueue) {
          const dropped = hook.queue.shift();
          log?.warn('alert webhook queue full: oldest alert dropped', {
            webhook: hook.status.target,
            alert: dropped?.id,
          });
        }
        hook.status.queued = hook.queue.length;
        hook.running ??= run(hook);
      }
    },

    status() {
      return hooks.map((h) => ({ ...h.status }));
    },

    async idle() {
      let running = hooks.flatMap((h) => (h.running ? [h.running] : []));
      while (running.length > 0) {
        await Promise.all(running);
        running = hooks.flatMap((h) => (h.running ? [h.running] : []));
      }
    },

    async close() {
      closed = true;
      for (const hook of hooks) {
        hook.queue.length = 0;
        hook.status.queued = 0;
        hook.controller?.abort();
      }
      for (const wake of [...sleepers]) wake();
      await Promise.all(hooks.flatMap((h) => (h.running ? [h.running] : [])));
    },
  };
}
