// One VALR account's session (proxy only): the account WebSocket, authenticated on the handshake with a fresh
// timestamp and signature per attempt, subscribed to MARGIN_INFO and kept alive with PING; beside it a poll of
// GET /v1/account/balances that publishes on the `balances` channel without driving the account's status.
import type { IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import { HttpError, httpGet, retryAfterMs } from '../../proxy/http-client.ts';
import {
  combineUpstreams,
  pollingUpstream,
  reconnectingUpstream,
  type BackoffOptions,
  type PollResult,
  type SessionContext,
  type SessionEnd,
} from '../../proxy/upstream-kit.ts';
import type { Upstream, UpstreamDeps } from '../server-types.ts';
import { VALR_BALANCES_PATH } from './index.ts';
import { ACCOUNT_CHANNEL, BALANCES_CHANNEL } from './normalize.ts';
import { credentialsOf, nonceKey, signValrRequest, wsHandshakeHeaders } from './sign.ts';

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
  backoff?: Partial<BackoffOptions>;
}

const SUBSCRIBE = JSON.stringify({ type: 'SUBSCRIBE', subscriptions: [{ event: 'MARGIN_INFO' }] });
const PING = JSON.stringify({ type: 'PING' });
const MAX_ERROR_BODY = 4096;

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

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ERROR_BODY) chunks.push(chunk);
    });
    res.on('end', done);
    res.on('error', done);
    res.on('close', done);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** What a refused handshake means: 401/403 is the key, 429 the rate limit, anything else an error. */
async function refusedHandshake(res: IncomingMessage): Promise<SessionEnd> {
  const status = res.statusCode ?? 0;
  const text = await readBody(res);
  const detail = exchangeMessage(parseJson(text), text);
  if (status === 401 || status === 403) {
    return { kind: 'auth', detail: `VALR refused the API key: ${detail} (HTTP ${status})` };
  }
  if (status === 429) return { kind: 'error', detail: `VALR rate limit reached (HTTP 429): ${detail}` };
  return { kind: 'error', detail: `VALR refused the WebSocket (HTTP ${status}): ${detail}` };
}

/** One connection of the account WebSocket, until it closes, fails or is aborted. */
function accountSession(
  deps: UpstreamDeps,
  ctx: SessionContext,
  settings: { url: URL; pingMs: number; handshakeTimeoutMs: number },
): Promise<SessionEnd> {
  return new Promise<SessionEnd>((resolve) => {
    const credentials = credentialsOf(deps.account);
    const timestamp = deps.nonces.next(nonceKey(deps.account));
    const ws = new WebSocket(settings.url, {
      headers: wsHandshakeHeaders(credentials, settings.url, timestamp),
      handshakeTimeout: settings.handshakeTimeoutMs,
      followRedirects: false,
      maxPayload: 1 << 20,
    });
    let ping: ReturnType<typeof setInterval> | undefined;
    let settled = false;
    let authenticated = false;

    const finish = (end: SessionEnd): void => {
      if (settled) return;
      settled = true;
      if (ping) clearInterval(ping);
      ctx.signal.removeEventListener('abort', onAbort);
      ws.removeAllListeners('message');
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      resolve(end);
    };
    const onAbort = (): void => finish({ kind: 'closed', detail: 'connection closed by the proxy' });
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    ws.on('unexpected-response', (req, res) => {
      void refusedHandshake(res).then((end) => {
        finish(end);
        req.destroy();
      });
    });
    ws.on('open', () => {
      ws.send(SUBSCRIBE);
      ping = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send(PING);
      }, settings.pingMs);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const receivedAt = Date.now();
      const text = rawText(data);
      const json = isBinary ? undefined : parseJson(text);
      const type = typeof json === 'object' && json !== null && 'type' in json ? json.type : undefined;
      if (type === 'PONG') {
        ctx.alive();
        return;
      }
      deps.publish(ACCOUNT_CHANNEL, json === undefined ? text : json, receivedAt);
      if (type === 'AUTHENTICATED' || type === 'MARGIN_INFO') {
        if (!authenticated) {
          authenticated = true;
          ctx.live();
        } else ctx.alive();
      } else ctx.alive();
    });
    ws.on('close', (code, reason) => {
      const why = reason.toString('utf8').slice(0, 200);
      finish({ kind: 'closed', detail: `VALR closed the connection (${code}${why ? `: ${why}` : ''})` });
    });
    ws.on('error', (err) => {
      finish({ kind: 'error', detail: `VALR WebSocket error: ${err.message}` });
    });
  });
}

/** One poll of GET /v1/account/balances, published on the `balances` channel. */
async function pollBalances(deps: UpstreamDeps, signal: AbortSignal): Promise<PollResult> {
  const base = deps.account.endpoints.rest.replace(/\/+$/, '');
  const url = new URL(`${base}/${VALR_BALANCES_PATH}`);
  const headers = signValrRequest(
    { method: 'GET', url, body: '' },
    credentialsOf(deps.account),
    deps.nonces.next(nonceKey(deps.account)),
  );
  let result;
  try {
    result = await httpGet(url, headers, { signal });
  } catch (err) {
    return { kind: 'retry', detail: err instanceof HttpError ? err.message : 'VALR balances request failed' };
  }
  const receivedAt = Date.now();
  if (result.status === 200) {
    deps.publish(BALANCES_CHANNEL, result.json === undefined ? result.text : result.json, receivedAt);
    return { kind: 'ok' };
  }
  const detail = `VALR balances: ${exchangeMessage(result.json, result.text)} (HTTP ${result.status})`;
  if (result.status === 401 || result.status === 403) return { kind: 'auth', detail };
  if (result.status === 429) {
    // VALR's counters reset at the start of each minute.
    const untilNextMinute = 60_000 - (receivedAt % 60_000);
    return { kind: 'retry', detail, retryAfterMs: retryAfterMs(result.headers) ?? untilNextMinute };
  }
  return { kind: 'retry', detail };
}

/** The account WebSocket (drives the status) combined with the balances poll (secondary). */
export function createValrUpstream(deps: UpstreamDeps, options: ValrUpstreamOptions = {}): Upstream {
  const scale = options.timeScale ?? 1;
  const url = new URL(deps.account.endpoints.ws ?? VALR_ACCOUNT_WS);
  const settings = {
    url,
    pingMs: options.pingMs ?? Math.max(5, Math.round(25_000 * scale)),
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? Math.max(1_000, Math.round(10_000 * scale)),
  };
  const stream = reconnectingUpstream({
    deps,
    session: (ctx) => accountSession(deps, ctx, settings),
    staleAfterMs: options.staleAfterMs ?? Math.max(10, Math.round(15_000 * scale)),
    deadAfterMs: options.deadAfterMs ?? Math.max(20, Math.round(30_000 * scale)),
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
