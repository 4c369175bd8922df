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
//   5. ping (type 6) every 15 s; 30 s without any message from the server ends the session (the kit's
//      watchdog); a Completion (type 3) of a stream or a Close (type 7) ends it too.
// Reconnecting, backoff, slow retries after auth failures and status reporting are the upstream kit's.
import type { IncomingMessage } from 'node:http';
import WebSocket, { type RawData } from 'ws';
import {
  reconnectingUpstream,
  type BackoffOptions,
  type SessionContext,
  type SessionEnd,
} from '../../proxy/upstream-kit.ts';
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

export interface B2primeUpstreamOptions {
  /** Multiplies the keep-alive, timeout and stale intervals (tests use < 1). */
  timeScale?: number;
  backoff?: Partial<BackoffOptions>;
}

function scaledMs(ms: number, timeScale: number): number {
  return Math.max(5, Math.round(ms * timeScale));
}

function isPlaceholder(url: string): boolean {
  try {
    return new URL(url).hostname.endsWith(PLACEHOLDER_HOST_SUFFIX);
  } catch {
    return true;
  }
}

/**
 * The stream URL for an account: `endpoints.ws` (http(s) accepted and turned into ws(s)), else derived from
 * `endpoints.rest` as `wss://<rest host>/frontoffice/ws/v3/account`; null while both are placeholders.
 */
export function streamEndpoint(endpoints: Endpoints): string | null {
  if (endpoints.ws !== undefined && !isPlaceholder(endpoints.ws)) return endpoints.ws.replace(/^http/i, 'ws');
  if (isPlaceholder(endpoints.rest)) return null;
  const url = new URL(endpoints.rest);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  url.pathname = STREAM_PATH;
  url.search = '';
  return url.toString();
}

interface SessionSetup {
  endpoint: string;
  token: string;
  accountId: string;
  timeScale: number;
  deps: UpstreamDeps;
}

/** A readable reason for a refused upgrade. */
function refusalDetail(status: number, token: string, now: number): SessionEnd {
  if (status === 401 || status === 403) {
    const expiry = tokenExpiry(token);
    const why =
      expiry !== null && expiry.getTime() <= now
        ? `it expired at ${expiry.toISOString()}; issue a new access token`
        : 'check credentials.accessToken (expired or revoked?)';
    return { kind: 'auth', detail: `B2Prime refused the access token (HTTP ${status}): ${why}` };
  }
  if (status === 404) {
    return { kind: 'error', detail: 'B2Prime stream not found (HTTP 404): check endpoints.ws' };
  }
  return { kind: 'error', detail: `B2Prime refused the stream connection (HTTP ${status})` };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** Runs one connection: upgrade, handshake, subscriptions, items, keep-alive, until something ends it. */
function runSession(ctx: SessionContext, setup: SessionSetup): Promise<SessionEnd> {
  const { deps, token } = setup;
  return new Promise<SessionEnd>((resolve) => {
    const url = streamUrlWithToken(setup.endpoint, token);
    const socket = new WebSocket(url, {
      handshakeTimeout: scaledMs(HANDSHAKE_TIMEOUT_MS, setup.timeScale),
      followRedirects: false,
      perMessageDeflate: false,
    });
    /** Stream channel by invocation id, for this connection only. */
    const channels = new Map<string, string>();
    let ended = false;
    let handshakeDone = false;
    let sawItem = false;
    let pending = '';
    let handshakeTimer: NodeJS.Timeout | undefined;
    let pingTimer: NodeJS.Timeout | undefined;

    function finish(end: SessionEnd): void {
      if (ended) return;
      ended = true;
      clearTimeout(handshakeTimer);
      clearInterval(pingTimer);
      ctx.signal.removeEventListener('abort', onAbort);
      socket.terminate();
      resolve({ ...end, detail: redactSecret(end.detail, token) });
    }

    function onAbort(): void {
      finish({ kind: 'closed', detail: 'session stopped' });
    }

    function send(text: string): void {
      if (socket.readyState === WebSocket.OPEN) socket.send(text);
    }

    /** Where to show a message that cannot be read: its stream when it names one, else MarginData. */
    function channelFor(value: unknown, raw: string): string {
      let id: unknown;
      if (typeof value === 'object' && value !== null && 'invocationId' in value) id = value.invocationId;
      else id = /"invocationId"\s*:\s*"([^"]*)"/.exec(raw)?.[1];
      return (typeof id === 'string' ? channels.get(id) : undefined) ?? MARGIN_DATA;
    }

    function subscribe(): void {
      STREAMS.forEach((target, index) => {
        const invocationId = String(index);
        channels.set(invocationId, target);
        send(
          JSON.stringify({ type: 4, invocationId, target, arguments: [setup.accountId] }) + RECORD_SEPARATOR,
        );
      });
    }

    function onHandshakeAnswer(record: string): void {
      clearTimeout(handshakeTimer);
      let answer: unknown;
      try {
        answer = JSON.parse(record);
      } catch {
        finish({ kind: 'error', detail: 'B2Prime sent an unreadable SignalR handshake answer' });
        return;
      }
      const parsed = handshakeResponse.safeParse(answer);
      if (!parsed.success) {
        finish({ kind: 'error', detail: 'B2Prime sent an unreadable SignalR handshake answer' });
        return;
      }
      if (parsed.data.error !== undefined) {
        finish({ kind: 'error', detail: `B2Prime refused the SignalR handshake: ${parsed.data.error}` });
        return;
      }
      handshakeDone = true;
      subscribe();
      pingTimer = setInterval(() => send(PING), scaledMs(CLIENT_PING_MS, setup.timeScale));
    }

    function onRecord(record: string, receivedAt: number): void {
      ctx.alive();
      if (!handshakeDone) return onHandshakeAnswer(record);
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
        case 2: {
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
          if (!sawItem) {
            sawItem = true;
            ctx.live();
          }
          return;
        }
        case 3: {
          const message = completionMessage.safeParse(value);
          const channel = message.success ? channels.get(message.data.invocationId) : undefined;
          if (!message.success || channel === undefined) return;
          const error = message.data.error;
          finish(
            error === undefined
              ? { kind: 'closed', detail: `B2Prime ended the ${channel} stream` }
              : { kind: 'error', detail: `B2Prime ended the ${channel} stream: ${error}` },
          );
          return;
        }
        case 7: {
          const message = closeMessage.safeParse(value);
          const error = message.success ? message.data.error : undefined;
          finish(
            error === undefined
              ? { kind: 'closed', detail: 'B2Prime closed the connection' }
              : { kind: 'error', detail: `B2Prime closed the connection: ${error}` },
          );
          return;
        }
        default:
          // 6 Ping (a sign of life, already counted), 1 Invocation, 8/9 Ack/Sequence: nothing to do.
          return;
      }
    }

    ctx.signal.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal.aborted) return onAbort();

    socket.on('unexpected-response', (_request, response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      response.resume();
      finish(refusalDetail(status, token, Date.now()));
    });
    socket.on('open', () => {
      send(HANDSHAKE);
      handshakeTimer = setTimeout(
        () => finish({ kind: 'error', detail: 'B2Prime did not answer the SignalR handshake' }),
        scaledMs(HANDSHAKE_TIMEOUT_MS, setup.timeScale),
      );
    });
    socket.on('message', (data: RawData) => {
      const receivedAt = Date.now();
      const records = (pending + rawText(data)).split(RECORD_SEPARATOR);
      pending = records.pop() ?? '';
      if (pending.length > MAX_PENDING_CHARS) {
        finish({ kind: 'error', detail: 'B2Prime sent an over-long message without a record separator' });
        return;
      }
      for (const record of records) {
        if (ended) return;
        if (record.length > 0) onRecord(record, receivedAt);
      }
    });
    socket.on('close', (code: number, reason: Buffer) => {
      const why = reason.length > 0 ? `: ${reason.toString('utf8')}` : '';
      finish({ kind: 'closed', detail: `B2Prime closed the stream connection (${code}${why})` });
    });
    socket.on('error', (err: Error) => {
      finish({ kind: 'error', detail: `B2Prime stream connection failed: ${err.message}` });
    });
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
  const endpoint = streamEndpoint(deps.account.endpoints);
  if (endpoint === null) {
    return misconfigured(deps, 'B2Prime has no public host: set endpoints.rest (and endpoints.ws) to yours');
  }
  const setup: SessionSetup = {
    endpoint,
    token: credentials.data.accessToken,
    accountId,
    timeScale,
    deps,
  };
  return reconnectingUpstream({
    deps,
    session: (ctx) => runSession(ctx, setup),
    staleAfterMs: scaledMs(STALE_AFTER_MS, timeScale),
    deadAfterMs: scaledMs(SERVER_TIMEOUT_MS, timeScale),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
}
