// One BitoPro account's session (proxy-only): the private margin stream over WebSocket, authenticated with the
// three X-BITOPRO-* headers on the handshake (fresh nonce per attempt), kept alive by the exchange's pings, plus a
// secondary poll of GET /margin/balances for the full per-currency balances. Only the stream drives the status.
import WebSocket, { type RawData } from 'ws';
import { httpGet, retryAfterMs } from '../../proxy/http-client.ts';
import {
  combineUpstreams,
  pollingUpstream,
  reconnectingUpstream,
  sleep,
  type BackoffOptions,
  type PollResult,
  type SessionContext,
  type SessionEnd,
} from '../../proxy/upstream-kit.ts';
import type { Upstream, UpstreamDeps } from '../server-types.ts';
import { ACCOUNT_INFO_CHANNEL, BALANCES_CHANNEL } from './normalize.ts';
import { bitoproCredentials, signedHeaders } from './sign.ts';

/** BitoPro's documented stream URL, used when the account config names none. */
export const DEFAULT_WS_URL = 'wss://stream.bitopro.com:443/ws/v1/pub/auth/margin/account-info';
/** The exchange pings every 20 s (doc ws/summary.md). */
export const KEEP_ALIVE_MS = 20_000;
/** Largest frame accepted from the stream. */
const MAX_FRAME_BYTES = 1 << 20;
/** Largest refusal body read from a failed handshake. */
const MAX_REFUSAL_BYTES = 4_096;

export interface BitoproUpstreamOptions {
  /**
   * The exchange's ping interval (ms). With no ping and no data for 1.25× this the stream is `stale`;
   * after 2.25× it is replaced. Tests shrink it together with the simulator's timeScale.
   */
  keepAliveMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Handshake and REST timeout (ms); default 10 s. */
  timeoutMs?: number;
}

/** How an HTTP refusal (handshake or poll) reads for a trader: auth problem, clock problem, or transient. */
export function describeRefusal(status: number, bodyText: string): { auth: boolean; detail: string } {
  const said = exchangeError(bodyText);
  const quoted = said ? ` "${said}"` : '';
  if (status === 401 || status === 403) {
    return {
      auth: true,
      detail: `BitoPro refused the credentials (HTTP ${status}${quoted}): check apiKey, apiSecret and identity (the account e-mail), and that the key is active`,
    };
  }
  if (status === 409) {
    return {
      auth: false,
      detail: `BitoPro refused the request time (HTTP 409${quoted}): check this machine's clock`,
    };
  }
  if (status === 429) return { auth: false, detail: `BitoPro rate limit reached (HTTP 429${quoted})` };
  return { auth: false, detail: `BitoPro answered HTTP ${status}${quoted}` };
}

/** The `error` text of a BitoPro error body, shortened; empty when there is none. */
function exchangeError(bodyText: string): string {
  try {
    const parsed = JSON.parse(bodyText) as unknown;
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'error' in parsed &&
      typeof parsed.error === 'string'
    ) {
      return parsed.error.slice(0, 120);
    }
  } catch {
    // not JSON: nothing the exchange said in words
  }
  return '';
}

function frameText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** JSON-decoded frame, or the raw text when it is not JSON (the parser reports it). */
function decode(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Creates the account's upstream: the stream (drives the status) combined with the balances poll (logs only). */
export function createBitoproUpstream(deps: UpstreamDeps, options: BitoproUpstreamOptions = {}): Upstream {
  const credentials = bitoproCredentials(deps.account.credentials);
  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const wsUrl = deps.account.endpoints.ws ?? DEFAULT_WS_URL;
  const accountId = deps.account.id;
  // BitoPro wants nonces strictly increasing per key. The stream handshake and the first poll would otherwise be
  // signed together and could arrive out of order, so the first poll waits for the first handshake's answer.
  let handshakeSeen = false;
  let firstHandshakeDone: () => void = () => {};
  const firstHandshake = new Promise<void>((resolve) => {
    firstHandshakeDone = () => {
      handshakeSeen = true;
      resolve();
    };
  });

  function session(ctx: SessionContext): Promise<SessionEnd> {
    return new Promise<SessionEnd>((resolve) => {
      let settled = false;
      const socket = new WebSocket(wsUrl, {
        headers: signedHeaders(credentials, deps.nonces),
        handshakeTimeout: timeoutMs,
        maxPayload: MAX_FRAME_BYTES,
        followRedirects: false,
      });
      const finish = (end: SessionEnd): void => {
        firstHandshakeDone();
        if (settled) return;
        settled = true;
        ctx.signal.removeEventListener('abort', onAbort);
        if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
        resolve(end);
      };
      const onAbort = (): void => finish({ kind: 'closed', detail: 'connection closed by the proxy' });
      if (ctx.signal.aborted) return onAbort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });

      socket.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (): void => {
          const refusal = describeRefusal(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
          finish({ kind: refusal.auth ? 'auth' : 'error', detail: refusal.detail });
        };
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_REFUSAL_BYTES) chunks.push(chunk);
        });
        res.on('end', done);
        res.on('error', done);
        res.on('close', done);
      });
      socket.on('open', () => {
        firstHandshakeDone();
        deps.log.info('bitopro stream open', { account: accountId });
        ctx.live();
      });
      socket.on('ping', () => ctx.alive());
      socket.on('pong', () => ctx.alive());
      socket.on('message', (data) => {
        const receivedAt = Date.now();
        ctx.alive();
        deps.publish(ACCOUNT_INFO_CHANNEL, decode(frameText(data)), receivedAt);
      });
      socket.on('close', (code, reason) => {
        const why = reason.length > 0 ? `: ${reason.toString('utf8').slice(0, 120)}` : '';
        finish({ kind: 'closed', detail: `stream closed by BitoPro (code ${code}${why})` });
      });
      socket.on('error', (err) => finish({ kind: 'error', detail: `stream error: ${err.message}` }));
    });
  }

  const stream = reconnectingUpstream({
    deps,
    session,
    staleAfterMs: Math.round(keepAliveMs * 1.25),
    deadAfterMs: Math.round(keepAliveMs * 2.25),
    backoff: options.backoff,
  });

  async function poll(signal: AbortSignal): Promise<PollResult> {
    if (!handshakeSeen) {
      await Promise.race([firstHandshake, sleep(timeoutMs, signal)]);
      if (signal.aborted) return { kind: 'retry', detail: 'stopped' };
    }
    const url = new URL(`${deps.account.endpoints.rest}/margin/balances`);
    const result = await httpGet(url, signedHeaders(credentials, deps.nonces), { signal, timeoutMs });
    if (result.status === 200) {
      deps.publish(BALANCES_CHANNEL, result.json !== undefined ? result.json : result.text, Date.now());
      return { kind: 'ok' };
    }
    const refusal = describeRefusal(result.status, result.text);
    if (refusal.auth) return { kind: 'auth', detail: refusal.detail };
    return { kind: 'retry', detail: refusal.detail, retryAfterMs: retryAfterMs(result.headers) };
  }

  const balances = pollingUpstream({
    deps,
    intervalMs: deps.account.pollSeconds * 1000,
    poll,
    reportStatus: false,
    backoff: options.backoff,
  });

  return combineUpstreams(stream, balances);
}
