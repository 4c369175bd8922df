// VALR request signing (proxy only).
// Headers X-VALR-API-KEY, X-VALR-SIGNATURE, X-VALR-TIMESTAMP (+ X-VALR-SUB-ACCOUNT-ID), where the signature is
// the lowercase hex HMAC-SHA512(secret as UTF-8, timestamp + VERB + path with query + body + subaccountId).
import { createHmac } from 'node:crypto';
import { requestPathOf, requiredCredential } from '../kit/signing.ts';
import type { AccountConfig, NonceSource, SignRequest } from '../server-types.ts';

/** Path of the private account WebSocket; the handshake is signed as a GET of this path. */
export const WS_ACCOUNT_PATH = '/ws/account';

export const HEADER_API_KEY = 'X-VALR-API-KEY';
export const HEADER_SIGNATURE = 'X-VALR-SIGNATURE';
export const HEADER_TIMESTAMP = 'X-VALR-TIMESTAMP';
export const HEADER_SUB_ACCOUNT = 'X-VALR-SUB-ACCOUNT-ID';

/** Credentials and the optional sub-account a VALR account acts for. */
export interface ValrCredentials {
  apiKey: string;
  apiSecret: string;
  /** Empty when the key acts for its own account (or is itself a sub-account key). */
  subaccountId: string;
}

/** The exact text VALR signs: timestamp, uppercase verb, path with query, raw body, sub-account id (or ''). */
export function signingText(
  timestamp: string,
  verb: string,
  pathWithQuery: string,
  body: string,
  subaccountId = '',
): string {
  return `${timestamp}${verb.toUpperCase()}${pathWithQuery}${body}${subaccountId}`;
}

/** Lowercase hex HMAC-SHA512 of the signing text, keyed with the secret's UTF-8 bytes (not hex-decoded). */
export function valrSignature(
  secret: string,
  timestamp: string,
  verb: string,
  pathWithQuery: string,
  body: string,
  subaccountId = '',
): string {
  return createHmac('sha512', Buffer.from(secret, 'utf8'))
    .update(signingText(timestamp, verb, pathWithQuery, body, subaccountId), 'utf8')
    .digest('hex');
}

/** Reads the credentials and the `subaccountId` option; a missing field is named, never its value shown. */
export function credentialsOf(account: AccountConfig): ValrCredentials {
  const apiKey = requiredCredential(account, 'apiKey');
  const apiSecret = requiredCredential(account, 'apiSecret');
  const sub = account.options.subaccountId;
  return { apiKey, apiSecret, subaccountId: typeof sub === 'string' ? sub : '' };
}

/** The three auth headers (and the sub-account header when a sub-account is set) for one signed request. */
export function authHeaders(
  credentials: ValrCredentials,
  timestamp: number | string,
  verb: string,
  pathWithQuery: string,
  body: string,
): Record<string, string> {
  const ts = String(timestamp);
  const headers: Record<string, string> = {
    [HEADER_API_KEY]: credentials.apiKey,
    [HEADER_SIGNATURE]: valrSignature(
      credentials.apiSecret,
      ts,
      verb,
      pathWithQuery,
      body,
      credentials.subaccountId,
    ),
    [HEADER_TIMESTAMP]: ts,
  };
  if (credentials.subaccountId !== '') headers[HEADER_SUB_ACCOUNT] = credentials.subaccountId;
  return headers;
}

/** Headers of one REST request: the auth headers plus the Content-Type VALR requires on every call. */
export function signValrRequest(
  req: { method: string; url: URL; body: string },
  credentials: ValrCredentials,
  timestamp: number | string,
): Record<string, string> {
  return {
    ...authHeaders(credentials, timestamp, req.method, requestPathOf(req.url), req.body),
    'Content-Type': 'application/json',
  };
}

/** Headers of the account WebSocket handshake: a signed GET of the socket's path. */
export function wsHandshakeHeaders(
  credentials: ValrCredentials,
  wsUrl: URL,
  timestamp: number | string,
): Record<string, string> {
  return authHeaders(credentials, timestamp, 'GET', requestPathOf(wsUrl), '');
}

/**
 * Timestamp stream per API key: ms epoch values, strictly increasing, so none is ever reused. VALR remembers
 * timestamps per key, so two accounts configured with the same key (e.g. two sub-accounts) share one stream.
 */
export function nonceKey(apiKey: string): string {
  return `valr:${apiKey}`;
}

/** The next timestamp for these credentials. */
export function nextTimestamp(credentials: ValrCredentials, nonces: NonceSource): number {
  return nonces.next(nonceKey(credentials.apiKey));
}

/** The ExchangeServerModule's signRest: a read-only request signed with the key's next timestamp. */
export function signRest(
  req: SignRequest,
  account: AccountConfig,
  nonces: NonceSource,
): Record<string, string> {
  const credentials = credentialsOf(account);
  return signValrRequest(req, credentials, nextTimestamp(credentials, nonces));
}
