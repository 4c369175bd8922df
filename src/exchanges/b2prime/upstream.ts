// One B2Prime account's stream session (proxy-only), on a small SignalR JSON hub-protocol client over `ws`.
//
// Why not @microsoft/signalr: in Node its WebSocket transport turns a refused upgrade (HTTP 401) into a
// generic "WebSocket failed to connect …" error, so an expired or revoked token could not be told from a
// network fault, and it logs the connected URL (which carries the token). The protocol needed here is small:
//
//   1. open `wss://host/frontoffice/ws/v3/account?access_token=<JWT>` (no negotiate request);
//   2. send the handshake `{"protocol":"json","version":1}` + 0x1E; the server answers `{}` (or an error);
//   3. subscribe with StreamInvocations (type 4) `FullBalance` and `MarginData`, `arguments: [accountId]`,
//      invocation ids "0", "1" (unique per connection, increasing by one);
//   4. StreamItems (type 2) are published per channel as `{type: 2, invocationId, item}`;
//   5. live on the first stream item (the server sends the latest on subscribe), never on a ping alone;
//   6. ping (type 6) every 15 s; 30 s without any message from the server ends the session (the kit's
//      watchdog); a Completion (type 3) of a stream or a Close (type 7) ends it too.
// Reconnecting, backoff, slow retries after auth failures and status reporting are the upstream kit's.
import { scaled, type BackoffOptions } from '../kit/backoff.ts';
import { reconnectingUpstream, type SessionContext, type SessionEnd } from '../kit/reconnecting.ts';
import { classifyRefusal, refusalEnd, type HttpAnswer } from '../kit/refusal.ts';
import { wsSession, type WsLink } from '../kit/ws-session.ts';
import type { Endpoints, Upstream, UpstreamDeps } from '../server-types.ts';
import { FULL_BALANCE, MARGIN_DATA } from './normalize.ts';
import { credentialsSchema, redactSecret, streamUrlWithToken, tokenExpiry } from './sign.ts';
import {
  RECORD_SEPARATOR,
  closeMessage,
  completionMessage,
  handshakeResponse,
  hubTypeEnvelope,
  streamItemMessage,
} from './wire.ts';

/** Client keep-alive ping interval (the SignalR client default). */
export const CLIENT_PING_MS = 15_000;
/** Nothing from the server for this long ⇒ the connection is replaced (the SignalR client's server timeout). */
export const SERVER_TIMEOUT_MS = 30_000;
/** Nothing from the server for this long ⇒ status `stale` (a server ping is 15 s apart; one was missed). */
export const STALE_AFTER_MS = 20_000;
/** Time allowed for the HTTP upgrade and, separately, for the SignalR handshake answer. */
export const HANDSHAKE_TIMEOUT_MS = 15_000;
/** The stream path of the B2Prime docs (the B2TRADER admin docs show `/frontoffice/ws/v4/account`). */
export const STREAM_PATH = '/frontoffice/ws/v3/account';
/** Streams subscribed on every connection, in invocation-id order. */
export const STREAMS = [FULL_BALANCE, MARGIN_DATA] as const;
/** Hostnames ending in this are placeholders: B2Prime has no public host, each deployment has its own. */
export const PLACEHOLDER_HOST_SUFFIX = '.invalid';

const HANDSHAKE = JSON.stringify({ protocol: 'json', version: 1 }) + RECORD_SEPARATOR;
const PING = JSON.stringify({ type: 6 }) + RECORD_SEPARATOR;
/** Largest incomplete record kept while waiting for its separator. */
const MAX_PENDING_CHARS = 4 * 1024 * 1024;
const ACCOUNT_ID = /^[0-9a-f]{24}$/i;
/** Completion errors that name something reconnecting cannot bring back (ASP.NET HubException texts). */
const FATAL_COMPLETION = /not found|does not exist|unauthori[sz]ed|forbidden/i;

export interface B2primeUpstreamOptions {
  /** Multiplies the keep-alive, timeout and stale intervals (tests use < 1). */
  timeScale?: number;
  /** Overrides of the scaled intervals (tests that are not about them use long ones). */
  staleAfterMs?: number;
  deadAfterMs?: number;
  backoff?: Partial<BackoffOptions>;
}

/** True for the `.invalid` placeholder hosts of the default endpoints. */
function isPlaceholder(url: string): boolean {
  return URL.parse(url)?.hostname.endsWith(PLACEHOLDER_HOST_SUFFIX) ?? false;
}

/** Where an account's stream is, or why it cannot be reached as configured. */
export type StreamEndpoint = { ok: true; url: string } | { ok: false; detail: string };

/**
 * The stream URL for an account, checked once: `endpoints.ws` (ws, wss, http or https; http(s) turned into
 * ws(s)), else derived from `endpoints.rest` as `wss://<rest host>/frontoffice/ws/v3/account`. Placeholders,
 * unreadable URLs and other schemes are configuration errors.
 */
export function resolveStreamEndpoint(endpoints: Endpoints): StreamEndpoint {
  if (endpoints.ws !== undefined && !isPlaceholder(endpoints.ws)) {
    const url = URL.parse(endpoints.ws);
    if (url === null) return { ok: false, detail: 'endpoints.ws is not a readable URL' };
    if (!/^(wss?|https?):$/.test(url.protocol)) {
      return { ok: false, detail: `endpoints.ws must be a wss:// (or ws://) URL, got a ${url.protocol} URL` };
    }
    url.protocol = url.protocol.replace(/^http/, 'ws');
    return { ok: true, url: url.toString() };
  }
  if (isPlaceholder(endpoints.rest)) {
    return {
      ok: false,
      detail: 'B2Prime has no public host: set endpoints.rest (and endpoints.ws) to yours',
    };
  }
  const url = URL.parse(endpoints.rest);
  if (url === null) return { ok: false, detail: 'endpoints.rest is not a readable URL' };
  if (!/^https?:$/.test(url.protocol)) {
    return { ok: false, detail: `endpoints.rest must be an https:// URL, got a ${url.protocol} URL` };
  }
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  url.pathname = STREAM_PATH;
  url.search = '';
  return { ok: true, url: url.toString() };
}

/** The stream URL for an account (see resolveStreamEndpoint); null when it is not configured usably. */
export function streamEndpoint(endpoints: Endpoints): string | null {
  const resolved = resolveStreamEndpoint(endpoints);
  return resolved.ok ? resolved.url : null;
}

interface SessionSetup {
  endpoint: string;
  token: string;
  accountId: string;
  /** Upgrade and SignalR handshake timeout (ms). */
  handshakeTimeoutMs: number;
  timeScale: number;
  deps: UpstreamDeps;
}

/** A readable reason for a refused upgrade: the token (with its expiry), a wrong path, or a transient answer. */
export function describeRefusedUpgrade(answer: HttpAnswer, token: string, now = Date.now()): SessionEnd {
  return refusalEnd(
    classifyRefusal(answer, {
      exchange: 'B2Prime',
      said: (a) => {
        const title = typeof a.json === 'object' && a.json !== null && 'title' in a.json ? a.json.title : '';
        return typeof title === 'string' ? title : '';
      },
      authHint: 'check credentials.accessToken',
      notFoundHint: `check endpoints.ws (the stream is at ${STREAM_PATH})`,
      special(refused) {
        if (refused.status !== 401 && refused.status !== 403) return undefined;
        const expiry = tokenExpiry(token);
        const why =
          expiry !== null && expiry.getTime() <= now
            ? `it expired at ${expiry.toISOString()}; issue a new access token`
            : 'check credentials.accessToken (expired or revoked?)';
        return { kind: 'auth', detail: `B2Prime refused the access token (HTTP ${refused.status}): ${why}` };
      },
    }),
  );
}

/** The SignalR conversation of one connection: handshake, subscriptions, records, keep-alive. */
function signalrHandlers(ctx: SessionContext, setup: SessionSetup) {
  const { deps } = setup;
  /** Stream channel by invocation id, for this connection only. */
  const channels = new Map<string, string>();
  let handshakeDone = false;
  let pending = '';

  /** Where to show a message that cannot be read: its stream when it names one, else MarginData. */
  function channelFor(value: unknown, raw: string): string {
    let id: unknown;
    if (typeof value === 'object' && value !== null && 'invocationId' in value) id = value.invocationId;
    else id = /"invocationId"\s*:\s*"([^"]*)"/.exec(raw)?.[1];
    return (typeof id === 'string' ? channels.get(id) : undefined) ?? MARGIN_DATA;
  }

  function subscribe(link: WsLink): void {
    STREAMS.forEach((target, index) => {
      const invocationId = String(index);
      channels.set(invocationId, target);
      link.send(
        JSON.stringify({ type: 4, invocationId, target, arguments: [setup.accountId] }) + RECORD_SEPARATOR,
      );
    });
  }

  function onHandshakeAnswer(record: string, link: WsLink): void {
    let answer: unknown;
    try {
      answer = JSON.parse(record);
    } catch {
      answer = undefined;
    }
    const parsed = handshakeResponse.safeParse(answer);
    if (!parsed.success) {
      return link.end({ kind: 'error', detail: 'B2Prime sent an unreadable SignalR handshake answer' });
    }
    if (parsed.data.error !== undefined) {
      // The server refused the protocol: reconnecting with the same client will be refused again.
      return link.end({
        kind: 'fatal',
        detail: `B2Prime refused the SignalR handshake: ${parsed.data.error}`,
      });
    }
    handshakeDone = true;
    subscribe(link);
    link.every(scaled(CLIENT_PING_MS, setup.timeScale), () => link.send(PING));
  }

  function onStreamItem(value: unknown, record: string, receivedAt: number): void {
    const message = streamItemMessage.safeParse(value);
    if (!message.success) {
      deps.publish(channelFor(value, record), value, receivedAt);
      return;
    }
    const { invocationId, item } = message.data;
    const channel = channels.get(invocationId);
    if (channel === undefined) {
      deps.log.warn('b2prime: stream item for an unknown invocation ignored', { invocationId });
      return;
    }
    deps.publish(channel, { type: 2, invocationId, item }, receivedAt);
    ctx.data();
  }

  function onCompletion(value: unknown, link: WsLink): void {
    const message = completionMessage.safeParse(value);
    const channel = message.success ? channels.get(message.data.invocationId) : undefined;
    if (!message.success || channel === undefined) return;
    const error = message.data.error;
    if (error === undefined)
      return link.end({ kind: 'closed', detail: `B2Prime ended the ${channel} stream` });
    const detail = `B2Prime ended the ${channel} stream: ${error}`;
    link.end(
      FATAL_COMPLETION.test(error)
        ? { kind: 'fatal', detail: `${detail} (check the account's accountId)` }
        : { kind: 'error', detail },
    );
  }

  function onRecord(record: string, link: WsLink, receivedAt: number): void {
    if (!handshakeDone) return onHandshakeAnswer(record, link);
    let value: unknown;
    try {
      value = JSON.parse(record);
    } catch {
      deps.publish(channelFor(undefined, record), record, receivedAt);
      return;
    }
    const envelope = hubTypeEnvelope.safeParse(value);
    if (!envelope.success) {
      deps.publish(channelFor(value, record), value, receivedAt);
      return;
    }
    switch (envelope.data.type) {
      case 2:
        return onStreamItem(value, record, receivedAt);
      case 3:
        return onCompletion(value, link);
      case 6:
        // A server ping: a sign of life (counted already), not data.
        return;
      case 7: {
        const message = closeMessage.safeParse(value);
        const error = message.success ? message.data.error : undefined;
        return link.end(
          error === undefined
            ? { kind: 'closed', detail: 'B2Prime closed the connection' }
            : { kind: 'error', detail: `B2Prime closed the connection: ${error}` },
        );
      }
      default:
        // 1 Invocation, 8/9 Ack/Sequence: nothing to do.
        return;
    }
  }

  return {
    opened: (link: WsLink): void => {
      link.send(HANDSHAKE);
      link.after(setup.handshakeTimeoutMs, () => {
        if (!handshakeDone)
          link.end({ kind: 'error', detail: 'B2Prime did not answer the SignalR handshake' });
      });
    },
    message: (text: string, link: WsLink, receivedAt: number): void => {
      const records = (pending + text).split(RECORD_SEPARATOR);
      pending = records.pop() ?? '';
      if (pending.length > MAX_PENDING_CHARS) {
        return link.end({
          kind: 'error',
          detail: 'B2Prime sent an over-long message without a record separator',
        });
      }
      for (const record of records) {
        if (link.ended) return;
        if (record.length > 0) onRecord(record, link, receivedAt);
      }
    },
  };
}

/** Runs one connection: upgrade, handshake, subscriptions, items, keep-alive, until something ends it. */
function runSession(ctx: SessionContext, setup: SessionSetup): Promise<SessionEnd> {
  const { token } = setup;
  const handlers = signalrHandlers(ctx, setup);
  return wsSession(ctx, {
    url: streamUrlWithToken(setup.endpoint, token),
    handshakeTimeoutMs: setup.handshakeTimeoutMs,
    refused: (answer) => describeRefusedUpgrade(answer, token),
    opened: handlers.opened,
    message: handlers.message,
    closed: (code, reason) => ({
      kind: 'closed',
      detail: `B2Prime closed the stream connection (${code}${reason ? `: ${reason}` : ''})`,
    }),
    failed: (err) => ({ kind: 'error', detail: `B2Prime stream connection failed: ${err.message}` }),
    // An error text could echo the connection URL, which carries the token.
    redact: (detail) => redactSecret(detail, token),
  });
}

/** An Upstream that only reports a configuration problem (nothing is sent to the exchange). */
function misconfigured(deps: UpstreamDeps, detail: string): Upstream {
  return {
    start() {
      deps.log.error('b2prime: account not started', { account: deps.account.id, detail });
      deps.setStatus('error', detail);
    },
    async stop() {},
  };
}

/**
 * The account's upstream: one SignalR connection carrying the `FullBalance` and `MarginData` streams, replaced
 * by the kit's reconnect loop whenever it ends or goes silent. The token travels only in the connection URL,
 * which is never logged.
 */
export function createB2primeUpstream(deps: UpstreamDeps, options: B2primeUpstreamOptions = {}): Upstream {
  const timeScale = options.timeScale ?? 1;
  const credentials = credentialsSchema.safeParse(deps.account.credentials);
  if (!credentials.success) {
    return misconfigured(
      deps,
      `credentials.accessToken: ${credentials.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  const accountId = deps.account.options.accountId;
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) {
    return misconfigured(deps, 'accountId must be the 24-hex-digit id from GET /frontoffice/api/v3/accounts');
  }
  const endpoint = resolveStreamEndpoint(deps.account.endpoints);
  if (!endpoint.ok) return misconfigured(deps, endpoint.detail);
  const setup: SessionSetup = {
    endpoint: endpoint.url,
    token: credentials.data.accessToken,
    accountId,
    // Never below 1 s: a loaded machine may take that long to open a loopback connection.
    handshakeTimeoutMs: Math.max(1_000, scaled(HANDSHAKE_TIMEOUT_MS, timeScale)),
    timeScale,
    deps,
  };
  return reconnectingUpstream({
    deps,
    session: (ctx) => runSession(ctx, setup),
    staleAfterMs: options.staleAfterMs ?? scaled(STALE_AFTER_MS, timeScale),
    deadAfterMs: options.deadAfterMs ?? scaled(SERVER_TIMEOUT_MS, timeScale),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
}
