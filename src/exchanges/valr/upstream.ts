// One VALR account's session (proxy only): the account WebSocket, authenticated on the handshake with a fresh
// timestamp and signature per attempt, subscribed to MARGIN_INFO and kept alive with PING; beside it a poll of
// GET /v1/account/balances that publishes on the `balances` channel without driving the account's status.
import { httpGet } from '../../proxy/http-client.ts';
import {
  classifyRefusal,
  combineUpstreams,
  decodeFrame,
  pollingUpstream,
  reconnectingUpstream,
  refusalEnd,
  scaled,
  wsSession,
  type BackoffOptions,
  type HttpAnswer,
  type PollResult,
  type Refusal,
  type SessionContext,
  type SessionEnd,
} from '../../proxy/upstream-kit.ts';
import type { Upstream, UpstreamDeps } from '../server-types.ts';
import { VALR_BALANCES_PATH } from './index.ts';
import { ACCOUNT_CHANNEL, BALANCES_CHANNEL } from './normalize.ts';
import { credentialsOf, nextTimestamp, signValrRequest, wsHandshakeHeaders } from './sign.ts';

/** Public endpoints. */
export const VALR_REST = 'https://api.valr.com';
export const VALR_ACCOUNT_WS = 'wss://api.valr.com/ws/account';

export interface ValrUpstreamOptions {
  /** Multiplies the keep-alive and watchdog intervals below (tests use < 1). Default 1. */
  timeScale?: number;
  /** PING interval (default 25 s: inside every idle timeout seen for VALR clients, 20–30 s). */
  pingMs?: number;
  /** No message for this long ⇒ stale (default 15 s: three MARGIN_INFO intervals). */
  staleAfterMs?: number;
  /** No message for this long ⇒ the socket is replaced (default 30 s). */
  deadAfterMs?: number;
  /** WebSocket opening handshake timeout (default 10 s; never below 1 s when scaled). */
  handshakeTimeoutMs?: number;
  /**
   * After subscribing, a connection that has not been refused within this long is live even before the first
   * MARGIN_INFO (default 2 s), so a quiet account does not stay `connecting`.
   */
  liveGraceMs?: number;
  backoff?: Partial<BackoffOptions>;
}

const SUBSCRIBE = JSON.stringify({ type: 'SUBSCRIBE', subscriptions: [{ event: 'MARGIN_INFO' }] });
const PING = JSON.stringify({ type: 'PING' });

/** `{code, message}` error bodies; the exchange's message is shown to the trader (it never echoes credentials). */
export function exchangeMessage(body: unknown, text: string): string {
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const { message, code } = body as { message: unknown; code?: unknown };
    if (typeof message === 'string' && message.length > 0) {
      return typeof code === 'number' ? `${message} (code ${code})` : message;
    }
  }
  const trimmed = text.trim().slice(0, 200);
  return trimmed.length > 0 ? trimmed : 'no details';
}

/**
 * How a refused request reads. A refused timestamp (stale, reused or from the future; VALR answers 401) is a
 * clock problem retried with the normal backoff, not a rejected key; an unknown sub-account is a configuration
 * error reconnecting will not fix.
 */
export function describeRefusal(answer: HttpAnswer, endpoint: 'endpoints.ws' | 'endpoints.rest'): Refusal {
  return classifyRefusal(answer, {
    exchange: 'VALR',
    said: (a) => exchangeMessage(a.json, a.text),
    authHint: 'check apiKey and apiSecret, and that the key is active and may read the account',
    notFoundHint: `check ${endpoint}`,
    special(refused, said) {
      if ((refused.status === 400 || refused.status === 401) && /timestamp/i.test(said)) {
        return {
          kind: 'retry',
          detail: `VALR refused the request time (HTTP ${refused.status} "${said}"): a clock/nonce problem — check this machine's clock`,
        };
      }
      if ((refused.status === 401 || refused.status === 403) && /sub-?account/i.test(said)) {
        return {
          kind: 'fatal',
          detail: `VALR refused the sub-account (HTTP ${refused.status} "${said}"): check the account's subaccountId`,
        };
      }
      return undefined;
    },
    // VALR's counters reset at the start of each minute.
    rateLimitWaitMs: () => 60_000 - (Date.now() % 60_000),
  });
}

interface SessionSettings {
  url: URL;
  pingMs: number;
  handshakeTimeoutMs: number;
  liveGraceMs: number;
}

/** One connection of the account WebSocket, until it closes, fails or is aborted. */
function accountSession(
  deps: UpstreamDeps,
  ctx: SessionContext,
  settings: SessionSettings,
): Promise<SessionEnd> {
  const credentials = credentialsOf(deps.account);
  let isLive = false;
  const goLive = (): void => {
    if (isLive) return;
    isLive = true;
    ctx.live();
  };
  return wsSession(ctx, {
    url: settings.url,
    headers: () => wsHandshakeHeaders(credentials, settings.url, nextTimestamp(credentials, deps.nonces)),
    handshakeTimeoutMs: settings.handshakeTimeoutMs,
    refused: (answer) => refusalEnd(describeRefusal(answer, 'endpoints.ws')),
    opened(link) {
      link.send(SUBSCRIBE);
      link.every(settings.pingMs, () => link.send(PING));
      // No refusal (a close) within the grace period: authenticated and subscribed.
      link.after(settings.liveGraceMs, goLive);
    },
    message(text, _link, receivedAt) {
      const json = decodeFrame(text);
      const type = typeof json === 'object' && json !== null && 'type' in json ? json.type : undefined;
      if (type === 'PONG') return goLive();
      deps.publish(ACCOUNT_CHANNEL, json, receivedAt);
      if (type === 'MARGIN_INFO') goLive();
    },
    closed: (code, reason) => ({
      kind: 'closed',
      detail: `VALR closed the connection (${code}${reason ? `: ${reason}` : ''})`,
    }),
    failed: (err) => ({ kind: 'error', detail: `VALR WebSocket error: ${err.message}` }),
  });
}

/** One poll of GET /v1/account/balances, published on the `balances` channel. */
async function pollBalances(deps: UpstreamDeps, signal: AbortSignal): Promise<PollResult> {
  const base = deps.account.endpoints.rest.replace(/\/+$/, '');
  const url = new URL(`${base}/${VALR_BALANCES_PATH}`);
  const credentials = credentialsOf(deps.account);
  const headers = signValrRequest(
    { method: 'GET', url, body: '' },
    credentials,
    nextTimestamp(credentials, deps.nonces),
  );
  const result = await httpGet(url, headers, { signal });
  if (result.status === 200) {
    deps.publish(BALANCES_CHANNEL, result.json === undefined ? result.text : result.json, Date.now());
    return { kind: 'ok' };
  }
  return describeRefusal(result, 'endpoints.rest');
}

/** The account WebSocket (drives the status) combined with the balances poll (secondary). */
export function createValrUpstream(deps: UpstreamDeps, options: ValrUpstreamOptions = {}): Upstream {
  const scale = options.timeScale ?? 1;
  const settings: SessionSettings = {
    url: new URL(deps.account.endpoints.ws ?? VALR_ACCOUNT_WS),
    pingMs: options.pingMs ?? scaled(25_000, scale),
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? Math.max(1_000, scaled(10_000, scale)),
    liveGraceMs: options.liveGraceMs ?? scaled(2_000, scale),
  };
  const stream = reconnectingUpstream({
    deps,
    session: (ctx) => accountSession(deps, ctx, settings),
    staleAfterMs: options.staleAfterMs ?? Math.max(10, scaled(15_000, scale)),
    deadAfterMs: options.deadAfterMs ?? Math.max(20, scaled(30_000, scale)),
    backoff: options.backoff,
  });
  const balances = pollingUpstream({
    deps,
    intervalMs: deps.account.pollSeconds * 1000,
    poll: (signal) => pollBalances(deps, signal),
    reportStatus: false,
    backoff: options.backoff,
  });
  return combineUpstreams(stream, balances);
}
