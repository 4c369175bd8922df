// Bitso request signing (proxy only).
// Authorization: Bitso <key>:<nonce>:<signature>, where signature is the lowercase hex
// HMAC-SHA256(secret, nonce + METHOD + request path with query + body).
import { createHmac } from 'node:crypto';
import { KeyedLock, requestPathOf, requiredCredential } from '../kit/signing.ts';
import type { AccountConfig, NonceSource, SignRequest } from '../server-types.ts';

/** The exact text Bitso signs: nonce, uppercase method, path with query string, raw body (empty for GET). */
export function signingText(nonce: string, method: string, requestPath: string, body: string): string {
  return `${nonce}${method.toUpperCase()}${requestPath}${body}`;
}

/** Lowercase hex HMAC-SHA256 of the signing text, keyed with the API secret's UTF-8 bytes. */
export function bitsoSignature(
  secret: string,
  nonce: string,
  method: string,
  requestPath: string,
  body: string,
): string {
  return createHmac('sha256', secret)
    .update(signingText(nonce, method, requestPath, body), 'utf8')
    .digest('hex');
}

/** The Authorization header value: `Bitso <key>:<nonce>:<signature>`. */
export function authorizationHeader(apiKey: string, nonce: string, signature: string): string {
  return `Bitso ${apiKey}:${nonce}:${signature}`;
}

/** Credentials a Bitso account needs. */
export interface BitsoCredentials {
  apiKey: string;
  apiSecret: string;
}

/** Reads the two credential fields, failing with a message that names the missing field (never its value). */
export function credentialsOf(account: AccountConfig): BitsoCredentials {
  return {
    apiKey: requiredCredential(account, 'apiKey'),
    apiSecret: requiredCredential(account, 'apiSecret'),
  };
}

/** Signs one request with the given nonce; returns the headers to send. */
export function signBitsoRequest(
  req: { method: string; url: URL; body: string },
  credentials: BitsoCredentials,
  nonce: number | string,
): Record<string, string> {
  const nonceText = String(nonce);
  const signature = bitsoSignature(
    credentials.apiSecret,
    nonceText,
    req.method,
    requestPathOf(req.url),
    req.body,
  );
  return { Authorization: authorizationHeader(credentials.apiKey, nonceText, signature) };
}

/** The ExchangeServerModule's signRest: a read-only request signed with the API key's next nonce. */
export function signRest(
  req: SignRequest,
  account: AccountConfig,
  nonces: NonceSource,
): Record<string, string> {
  const credentials = credentialsOf(account);
  return signBitsoRequest(req, credentials, nonces.next(nonceKey(credentials.apiKey)));
}

/**
 * The nonce stream: Bitso wants increasing nonces per API key, so two accounts configured with the same key
 * share one stream. (The proxy's nonce file stores only a hash of this key.)
 */
export function nonceKey(apiKey: string): string {
  return `bitso:${apiKey}`;
}

/**
 * One lock per API key for the whole proxy: Bitso refuses a nonce that is not above the last one it saw for the
 * key, and two requests sent at once (the account poll and a drill-down read through the relay) can arrive in
 * either order. Every signed request takes its nonce and is sent inside the lock, and holds it until answered.
 */
const signingLock = new KeyedLock();

/** Runs `signAndSend` (sign, send, await the answer) in nonce order for the account's API key. */
export function inNonceOrder<T>(
  account: AccountConfig,
  signAndSend: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  return signingLock.run(nonceKey(credentialsOf(account).apiKey), signAndSend, signal);
}
