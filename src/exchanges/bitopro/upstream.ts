// One BitoPro account's session (proxy-only): the private margin stream over WebSocket, authenticated with the
// three X-BITOPRO-* headers on the handshake (fresh nonce per attempt), kept alive by the exchange's pings, plus a
// secondary poll of GET /margin/balances for the full per-currency balances. Only the stream drives the status.
// Every signed request of the key goes out in nonce order (sign.ts `signingLock`).
import { httpGet } from '../kit/http-client.ts';
import { type BackoffOptions } from '../kit/backoff.ts';
import { decodeFrame } from '../kit/frames.ts';
import { combineUpstreams } from '../kit/lifecycle.ts';
import { pollingUpstream, type PollResult } from '../kit/polling.ts';
import { reconnectingUpstream, type SessionContext, type SessionEnd } from '../kit/reconnecting.ts';
import { classifyRefusal, refusalEnd, type HttpAnswer, type Refusal } from '../kit/refusal.ts';
import { wsSession } from '../kit/ws-session.ts';
import type { Upstream, UpstreamDeps } from '../server-types.ts';
import { ACCOUNT_INFO_CHANNEL, BALANCES_CHANNEL } from './normalize.ts';
import { bitoproCredentials, inNonceOrder, nonceKey, signedHeaders, signingLock } from './sign.ts';
import { errorBodySchema } from './wire.ts';

/** BitoPro's documented stream URL, used when the account config names none. */
export const DEFAULT_WS_URL = 'wss://stream.bitopro.com:443/ws/v1/pub/auth/margin/account-info';
/** The exchange pings every 20 s (doc ws/summary.md). */
export const KEEP_ALIVE_MS = 20_000;

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

/** The `error` text of a BitoPro error body ({"error":"…"}); empty when there is none. */
function exchangeError(answer: HttpAnswer): string {
  const parsed = errorBodySchema.safeParse(answer.json);
  return parsed.success ? parsed.data.error : '';
}

/**
 * How an HTTP refusal (handshake or poll) reads for a trader. 409 is BitoPro's only nonce answer: the nonce was
 * not above the last one for the key, or too far from BitoPro's clock. Either way it is retried.
 */
export function describeRefusal(answer: HttpAnswer, endpoint: 'endpoints.ws' | 'endpoints.rest'): Refusal {
  return classifyRefusal(answer, {
    exchange: 'BitoPro',
    said: exchangeError,
    authHint: 'check apiKey, apiSecret and identity (the account e-mail), and that the key is active',
    notFoundHint: `check ${endpoint}`,
    special(refused, said) {
      if (refused.status !== 409) return undefined;
      const quoted = said ? ` "${said}"` : '';
      return {
        kind: 'retry',
        detail:
          `BitoPro refused the nonce (HTTP 409${quoted}): a nonce/clock problem — check this machine's clock ` +
          'and that no other program signs with this API key',
      };
    },
  });
}

/** Creates the account's upstream: the stream (drives the status) combined with the balances poll (logs only). */
export function createBitoproUpstream(deps: UpstreamDeps, options: BitoproUpstreamOptions = {}): Upstream {
  const credentials = bitoproCredentials(deps.account.credentials);
  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const wsUrl = deps.account.endpoints.ws ?? DEFAULT_WS_URL;
  const accountId = deps.account.id;

  function session(ctx: SessionContext): Promise<SessionEnd> {
    return wsSession(ctx, {
      url: wsUrl,
      lock: (signal) => signingLock.acquire(nonceKey(credentials.apiKey), signal),
      headers: () => signedHeaders(credentials, deps.nonces),
      handshakeTimeoutMs: timeoutMs,
      refused: (answer) => refusalEnd(describeRefusal(answer, 'endpoints.ws')),
      opened() {
        // The handshake carried the credentials; the stream is live once BitoPro pushes the account data,
        // which it does on connect.
        deps.log.info('bitopro stream open', { account: accountId });
      },
      message(text, _link, receivedAt) {
        deps.publish(ACCOUNT_INFO_CHANNEL, decodeFrame(text), receivedAt);
        ctx.data();
      },
      closed: (code, reason) => ({
        kind: 'closed',
        detail: `stream closed by BitoPro (code ${code}${reason ? `: ${reason}` : ''})`,
      }),
      failed: (err) => ({ kind: 'error', detail: `stream error: ${err.message}` }),
    });
  }

  const stream = reconnectingUpstream({
    deps,
    session,
    staleAfterMs: Math.round(keepAliveMs * 1.25),
    deadAfterMs: Math.round(keepAliveMs * 2.25),
    // BitoPro pushes the latest data on connect: a stream that only pings after that long is replaced.
    firstDataWithinMs: Math.round(keepAliveMs * 2.25),
    backoff: options.backoff,
  });

  async function poll(signal: AbortSignal): Promise<PollResult> {
    const url = new URL(`${deps.account.endpoints.rest.replace(/\/+$/, '')}/margin/balances`);
    const result = await inNonceOrder(
      credentials.apiKey,
      () => httpGet(url, signedHeaders(credentials, deps.nonces), { signal, timeoutMs }),
      signal,
    );
    if (result.status === 200) {
      deps.publish(BALANCES_CHANNEL, result.json !== undefined ? result.json : result.text, Date.now());
      return { kind: 'ok' };
    }
    return describeRefusal(result, 'endpoints.rest');
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
