// One Bitso account's session (proxy only): Bitso has no private margin stream, so the account summary is
// polled with a freshly signed GET every poll interval and each body is published on the `account` channel.
import { formatDuration } from '../../domain/format.ts';
import { HttpError, httpGet, type HttpResult } from '../kit/http-client.ts';
import { type BackoffOptions } from '../kit/backoff.ts';
import { pollingUpstream, type PollResult } from '../kit/polling.ts';
import { classifyRefusal, type HttpAnswer, type Refusal } from '../kit/refusal.ts';
import type { Upstream, UpstreamDeps, UpstreamState } from '../server-types.ts';
import { ACCOUNT_PATH } from './index.ts';
import { ACCOUNT_CHANNEL } from './normalize.ts';
import { inNonceOrder, signRest } from './sign.ts';
import { errorEnvelopeSchema, marginErrorSchema } from './wire.ts';

/** Bitso locks a key out for a minute after the rate limit; without Retry-After wait that long. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;
/** A rejected nonce is retried this many times in a row before it is reported as an auth failure. */
export const NONCE_RETRIES = 3;

export interface BitsoUpstreamOptions {
  /** Request timeout (ms); default twice the poll interval, between 10 s and 30 s. */
  timeoutMs?: number;
  /** A request still unanswered after this long turns the status `stale` (default half the timeout). */
  staleAfterMs?: number;
  backoff?: Partial<BackoffOptions>;
  now?: () => number;
}

/** The account summary URL under the configured REST base. */
export function accountUrl(restBase: string): URL {
  return new URL(`${restBase.replace(/\/+$/, '')}/${ACCOUNT_PATH}`);
}

/** What Bitso said in an error body. */
export interface BitsoError {
  code: string;
  message: string;
}

// Exchange text is shown to the trader; keep it short and on one line.
function bitsoError(code: string, message: string | undefined): BitsoError {
  return { code: code.slice(0, 64), message: (message ?? '').replace(/\s+/g, ' ').trim().slice(0, 200) };
}

/**
 * The `{code, message}` of an error body: Bitso's documented envelope
 * `{"success": false, "error": {"code": "0201", "message": "…"}}` first, else the first entry of the
 * `{"errors": [{code, message}]}` shape; null when the body has neither shape.
 */
export function bitsoErrorOf(json: unknown): BitsoError | null {
  const envelope = errorEnvelopeSchema.safeParse(json);
  if (envelope.success) return bitsoError(envelope.data.error.code, envelope.data.error.message);
  const parsed = marginErrorSchema.safeParse(json);
  if (!parsed.success) return null;
  const first = parsed.data.errors[0];
  return first ? bitsoError(first.code, first.message) : null;
}

/**
 * Codes that may mean only that a nonce was refused, which a fresh nonce can fix: 0206 (invalid nonce type),
 * 0207 (invalid nonce value), `invalid_nonce` (the other error shape) and 0201, which Bitso words "Invalid Nonce
 * or Invalid Credentials": it is retried like a nonce error, then reported as an authentication failure.
 */
export const NONCE_CODES: ReadonlySet<string> = new Set(['0201', '0206', '0207', 'invalid_nonce']);

function exchangeSays(error: BitsoError): string {
  return error.message ? `${error.code}: ${error.message}` : error.code;
}

/** What to check for each of Bitso's authentication codes (HTTP 401, codes 0201–0216). */
const AUTH_HINTS: Readonly<Record<string, string>> = {
  '0201':
    'key, secret or nonce rejected repeatedly — check apiKey and apiSecret, that the key is active, and that no other program uses it',
  '0202': 'API key not allowed to read the margin account — check its permissions',
  '0206': 'nonce rejected repeatedly — is another program using this API key?',
  '0207': 'nonce rejected repeatedly — is another program using this API key?',
  '0208': 'Bitso asked for authentication — check apiKey and apiSecret',
  '0213': "this machine's IP address is not allowed for the key — check the key's IP allowlist",
  '0215': 'signature rejected — check the API secret',
  '0216': 'account restricted — contact Bitso',
  invalid_signature: 'signature rejected — check the API secret',
  invalid_credentials: 'API key rejected — check the API key and that it is still active',
  invalid_nonce: 'nonce rejected repeatedly — is another program using this API key?',
};

/** Why Bitso refused the credentials, in words a trader can act on, with Bitso's own code and message. */
export function authFailureText(status: number, error: BitsoError | null): string {
  const says = `Bitso: ${error ? exchangeSays(error) : `HTTP ${status}`}`;
  const hint = error ? AUTH_HINTS[error.code] : undefined;
  if (hint) return `${hint} (${says})`;
  return status === 403
    ? `API key not allowed to read the margin account — check its permissions (${says})`
    : `credentials rejected (${says})`;
}

/**
 * How a refused request reads: the shared classification (404 fatal, 429 after Retry-After or a minute,
 * 5xx retried) with Bitso's credential codes; a rejected nonce (NONCE_CODES) is retried NONCE_RETRIES times in
 * a row first.
 */
export function describeRefusal(
  answer: HttpAnswer,
  consecutiveNonceRejections: number,
): Refusal & { nonceRejected?: boolean } {
  const error = bitsoErrorOf(answer.json);
  const nonceRejected =
    error !== null && NONCE_CODES.has(error.code) && (answer.status === 401 || answer.status === 403);
  const refusal = classifyRefusal(answer, {
    exchange: 'Bitso',
    said: () => (error ? exchangeSays(error) : ''),
    authHint: 'check apiKey and apiSecret',
    notFoundHint: 'check endpoints.rest',
    special(refused, said) {
      if (refused.status !== 401 && refused.status !== 403) return undefined;
      if (nonceRejected && consecutiveNonceRejections < NONCE_RETRIES) {
        return { kind: 'retry', detail: `nonce rejected (Bitso: ${said})` };
      }
      return { kind: 'auth', detail: authFailureText(refused.status, error) };
    },
    rateLimitWaitMs: () => DEFAULT_RATE_LIMIT_WAIT_MS,
  });
  return nonceRejected ? { ...refusal, nonceRejected } : refusal;
}

/** Maps one HTTP answer to a poll result; publishes the body when it is a 200. */
export function classifyResponse(
  result: HttpResult,
  publish: (payload: unknown) => void,
  consecutiveNonceRejections: number,
): PollResult & { nonceRejected?: boolean } {
  if (result.status === 200) {
    publish(result.json !== undefined ? result.json : result.text);
    return { kind: 'ok' };
  }
  return describeRefusal(result, consecutiveNonceRejections);
}

/** Polls GET /margin_trading/v1alpha/account for one account. */
export function createBitsoUpstream(deps: UpstreamDeps, options: BitsoUpstreamOptions = {}): Upstream {
  const intervalMs = Math.max(1, deps.account.pollSeconds * 1000);
  const timeoutMs = options.timeoutMs ?? Math.min(30_000, Math.max(10_000, 2 * intervalMs));
  const staleAfterMs = options.staleAfterMs ?? Math.floor(timeoutMs / 2);
  const url = accountUrl(deps.account.endpoints.rest);
  const now = options.now ?? Date.now;

  // The kit reports only changes it sees; `stale` (a request hanging) is reported here, so track what the
  // browser was last told and put it right when the answer arrives.
  let shown: UpstreamState | undefined;
  const setStatus = (state: UpstreamState, detail?: string): void => {
    shown = state;
    deps.setStatus(state, detail);
  };
  let nonceRejections = 0;

  async function poll(signal: AbortSignal): Promise<PollResult> {
    const staleTimer = setTimeout(() => {
      if (shown === 'live') setStatus('stale', `no answer from Bitso for ${formatDuration(staleAfterMs)}`);
    }, staleAfterMs);
    let result: HttpResult;
    try {
      // Signed and sent in nonce order with any drill-down read of the same key.
      result = await inNonceOrder(
        deps.account,
        () =>
          httpGet(url, signRest({ method: 'GET', url, body: '' }, deps.account, deps.nonces), {
            signal,
            timeoutMs,
          }),
        signal,
      );
    } catch (err) {
      if (err instanceof HttpError) return { kind: 'retry', detail: err.message };
      throw err;
    } finally {
      clearTimeout(staleTimer);
    }
    const receivedAt = now();
    const outcome = classifyResponse(
      result,
      (payload) => deps.publish(ACCOUNT_CHANNEL, payload, receivedAt),
      nonceRejections,
    );
    nonceRejections = outcome.nonceRejected ? nonceRejections + 1 : 0;
    if (outcome.kind === 'ok' && shown === 'stale') setStatus('live');
    const { nonceRejected: _counted, ...pollResult } = outcome;
    return pollResult;
  }

  return pollingUpstream({
    deps: { setStatus, log: deps.log, ...(deps.pollPlan ? { pollPlan: deps.pollPlan } : {}) },
    intervalMs,
    poll,
    backoff: options.backoff,
  });
}
