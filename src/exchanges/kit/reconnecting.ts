// The reconnecting loop of every exchange stream: keeps one session open, replacing it whenever it ends or its
// watchdog says it went silent; `live` only once a session delivers data; exponential backoff with full jitter
// between attempts, slow retries after an auth failure, and status reporting on every change. Exchange folders
// supply only "one session" (usually a ws-session.ts spec).
import { formatDuration } from '../../domain/format.ts';
import type { Upstream, UpstreamDeps } from '../server-types.ts';
import { authRetryDelay, DEFAULT_BACKOFF, fullJitterDelay, sleep, type BackoffOptions } from './backoff.ts';
import { loopingUpstream, statusReporter } from './lifecycle.ts';
import { connectionWatch, type DataChannel } from './watchdog.ts';

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
      report('reconnecting', `${end.detail}; retrying in ${formatDuration(wait)}`);
      await sleep(wait, stopped);
    }
  });
}
