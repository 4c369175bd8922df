// One VALR account's session (proxy only): the account WebSocket, authenticated on the handshake with a fresh
// timestamp and signature per attempt, subscribed to MARGIN_INFO once VALR confirms the authentication
// (`{"type":"AUTHENTICATED"}`), watched against MARGIN_INFO's 5 s cadence and kept alive with PING; beside it a poll of
// GET /v1/margin/account/status and GET /v1/account/balances that publishes on the `account-status` and
// `balances` channels without driving the account's status.
import { httpGet } from '../kit/http-client.ts';
import { scaled, type BackoffOptions } from '../kit/backoff.ts';
import { decodeFrame } from '../kit/frames.ts';
import { combineUpstreams } from '../kit/lifecycle.ts';
import { pollingUpstream, type PollResult } from '../kit/polling.ts';
import { reconnectingUpstream, type SessionContext, type SessionEnd } from '../kit/reconnecting.ts';
import { classifyRefusal, refusalEnd, type HttpAnswer, type Refusal } from '../kit/refusal.ts';
import { wsSession } from '../kit/ws-session.ts';
import type { Upstream, UpstreamDeps } from '../server-types.ts';
import { VALR_ACCOUNT_STATUS_PATH, VALR_BALANCES_PATH } from './index.ts';
import { ACCOUNT_CHANNEL, ACCOUNT_STATUS_CHANNEL, BALANCES_CHANNEL } from './normalize.ts';
import { credentialsOf, nextTimestamp, signValrRequest, wsHandshakeHeaders } from './sign.ts';

/** Public endpoints. */
export const VALR_REST = 'https://api.valr.com';
export const VALR_ACCOUNT_WS = 'wss://api.valr.com/ws/account';

export interface ValrUpstreamOptions {
  /** Multiplies the keep-alive and watchdog intervals below (tests use < 1). Default 1. */
  timeScale?: number;
  /** PING interval (default 25 s: inside every idle timeout seen for VALR clients, 20–30 s). */
  pingMs?: number;
  /** No message at all for this long ⇒ stale (default 15 s: three MARGIN_INFO intervals). */
  staleAfterMs?: number;
  /** No message at all for this long ⇒ the socket is replaced (default 30 s). */
  deadAfterMs?: number;
  /**
   * MARGIN_INFO's push interval (default 5 s, as documented). Three missed pushes ⇒ stale and subscribed
   * again; three more ⇒ the socket is replaced, whatever keep-alives still arrive.
   */
  marginInfoCadenceMs?: number;
  /**
   * WebSocket opening handshake timeout, and the wait for VALR's AUTHENTICATED after it (default 10 s each;
   * never below 1 s when scaled).
   */
  handshakeTimeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
}

const MARGIN_INFO = 'MARGIN_INFO';
/** MARGIN_INFO is pushed every 5 s (VALR's documentation). */
export const MARGIN_INFO_CADENCE_MS = 5_000;
const SUBSCRIBE = JSON.stringify({ type: 'SUBSCRIBE', subscriptions: [{ event: MARGIN_INFO }] });
const PING = JSON.stringify({ type: 'PING' });
/**
 * Connections in a row that VALR opened but closed without confirming the authentication before it
 * counts as an authentication problem (auth_failed with slow retries) rather than a dropped connection.
 */
export const UNCONFIRMED_AUTH_TRIES = 3;

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
  /** Connections in a row that ended before VALR confirmed the authentication (shared across sessions). */
  unconfirmed: { count: number };
}

const AUTH_HINT = 'check apiKey and apiSecret, and that the key is active and may read the account';

/**
 * How a connection that never got VALR's AUTHENTICATED ends: a dropped connection for the first tries, then an
 * authentication problem with the reason, so a key VALR accepts at the handshake but never authenticates does
 * not reconnect silently forever.
 */
function unconfirmedEnd(settings: SessionSettings, what: string): SessionEnd {
  settings.unconfirmed.count += 1;
  const tries = settings.unconfirmed.count;
  if (tries < UNCONFIRMED_AUTH_TRIES) {
    return { kind: 'closed', detail: `${what} before confirming the authentication` };
  }
  return {
    kind: 'auth',
    detail: `${what} before confirming the authentication (${tries} connections in a row): ${AUTH_HINT}`,
  };
}

/** One connection of the account WebSocket, until it closes, fails or is aborted. */
function accountSession(
  deps: UpstreamDeps,
  ctx: SessionContext,
  settings: SessionSettings,
): Promise<SessionEnd> {
  const credentials = credentialsOf(deps.account);
  let authenticated = false;
  return wsSession(ctx, {
    url: settings.url,
    headers: () => wsHandshakeHeaders(credentials, settings.url, nextTimestamp(credentials, deps.nonces)),
    handshakeTimeoutMs: settings.handshakeTimeoutMs,
    refused: (answer) => refusalEnd(describeRefusal(answer, 'endpoints.ws')),
    opened(link) {
      link.every(settings.pingMs, () => link.send(PING));
      link.after(settings.handshakeTimeoutMs, () => {
        if (authenticated) return;
        // Silence is not a refusal (a refused key is closed or answered 401): retried as a lost connection.
        link.end({ kind: 'closed', detail: 'VALR did not confirm the authentication in time' });
      });
    },
    message(text, link, receivedAt) {
      const json = decodeFrame(text);
      const type = typeof json === 'object' && json !== null && 'type' in json ? json.type : undefined;
      if (type === 'PONG') return;
      if (type === 'AUTHENTICATED') {
        if (authenticated) return;
        // Subscribe only now: VALR confirmed the handshake's credentials.
        authenticated = true;
        settings.unconfirmed.count = 0;
        link.send(SUBSCRIBE);
        ctx.onQuiet(() => link.send(SUBSCRIBE));
        return;
      }
      deps.publish(ACCOUNT_CHANNEL, json, receivedAt);
      if (type === MARGIN_INFO) ctx.data(MARGIN_INFO);
    },
    closed: (code, reason) => {
      const what = `VALR closed the connection (${code}${reason ? `: ${reason}` : ''})`;
      return authenticated ? { kind: 'closed', detail: what } : unconfirmedEnd(settings, what);
    },
    failed: (err) => ({ kind: 'error', detail: `VALR WebSocket error: ${err.message}` }),
  });
}

/** One signed GET of `path` under the REST base; a 200 is published on `channel`. */
async function pollPath(
  deps: UpstreamDeps,
  path: string,
  channel: string,
  signal: AbortSignal,
): Promise<PollResult> {
  const base = deps.account.endpoints.rest.replace(/\/+$/, '');
  const url = new URL(`${base}/${path}`);
  const credentials = credentialsOf(deps.account);
  const headers = signValrRequest(
    { method: 'GET', url, body: '' },
    credentials,
    nextTimestamp(credentials, deps.nonces),
  );
  const result = await httpGet(url, headers, { signal });
  if (result.status === 200) {
    deps.publish(channel, result.json === undefined ? result.text : result.json, Date.now());
    return { kind: 'ok' };
  }
  return describeRefusal(result, 'endpoints.rest');
}

/**
 * One poll: GET /v1/margin/account/status (whether VALR is liquidating the account) on the `account-status`
 * channel, then GET /v1/account/balances on the `balances` channel. A refusal of one does not hold back the
 * other; the poll reports the first refusal.
 */
async function pollAccount(deps: UpstreamDeps, signal: AbortSignal): Promise<PollResult> {
  const status = await pollPath(deps, VALR_ACCOUNT_STATUS_PATH, ACCOUNT_STATUS_CHANNEL, signal);
  const balances = await pollPath(deps, VALR_BALANCES_PATH, BALANCES_CHANNEL, signal);
  return status.kind === 'ok' ? balances : status;
}

/** The account WebSocket (drives the status) combined with the balances poll (secondary). */
export function createValrUpstream(deps: UpstreamDeps, options: ValrUpstreamOptions = {}): Upstream {
  const scale = options.timeScale ?? 1;
  const settings: SessionSettings = {
    url: new URL(deps.account.endpoints.ws ?? VALR_ACCOUNT_WS),
    pingMs: options.pingMs ?? scaled(25_000, scale),
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? Math.max(1_000, scaled(10_000, scale)),
    unconfirmed: { count: 0 },
  };
  const stream = reconnectingUpstream({
    deps,
    session: (ctx) => accountSession(deps, ctx, settings),
    staleAfterMs: options.staleAfterMs ?? Math.max(10, scaled(15_000, scale)),
    deadAfterMs: options.deadAfterMs ?? Math.max(20, scaled(30_000, scale)),
    channels: [
      { name: MARGIN_INFO, cadenceMs: options.marginInfoCadenceMs ?? scaled(MARGIN_INFO_CADENCE_MS, scale) },
    ],
    backoff: options.backoff,
  });
  const balances = pollingUpstream({
    deps,
    intervalMs: deps.account.pollSeconds * 1000,
    poll: (signal) => pollAccount(deps, signal),
    reportStatus: false,
    backoff: options.backoff,
  });
  return combineUpstreams(stream, balances);
}
