// BitoPro request signing (proxy-only). GET requests and the private WebSocket handshake carry three
// headers: the API key, a base64 JSON payload {identity, nonce}, and hex HMAC-SHA384(secret, payload text).
// URL, query and method are not signed; replay protection rests on the nonce inside the payload.
import { createHmac } from 'node:crypto';
import { KeyedLock } from '../kit/signing.ts';
import type { NonceSource } from '../server-types.ts';

export const HEADER_APIKEY = 'X-BITOPRO-APIKEY';
export const HEADER_PAYLOAD = 'X-BITOPRO-PAYLOAD';
export const HEADER_SIGNATURE = 'X-BITOPRO-SIGNATURE';

/** The credential fields a BitoPro account needs. `identity` is the account's e-mail address. */
export interface BitoproCredentials {
  apiKey: string;
  apiSecret: string;
  identity: string;
}

export const CREDENTIAL_FIELDS = ['apiKey', 'apiSecret', 'identity'] as const;

/** Picks the BitoPro credentials out of an account's credential record; throws naming a missing field (never a value). */
export function bitoproCredentials(record: Readonly<Record<string, string>>): BitoproCredentials {
  const pick = (field: (typeof CREDENTIAL_FIELDS)[number]): string => {
    const value = record[field];
    if (value === undefined || value === '') throw new Error(`BitoPro credentials.${field} is missing`);
    return value;
  };
  return { apiKey: pick('apiKey'), apiSecret: pick('apiSecret'), identity: pick('identity') };
}

/** The nonce stream a BitoPro API key uses; REST and WebSocket share it because the exchange checks per key. */
export function nonceKey(apiKey: string): string {
  return `bitopro:${apiKey}`;
}

/**
 * One lock per API key for the whole proxy. BitoPro refuses a nonce that is not above the last one it saw for
 * the key (HTTP 409), and two requests sent at once on separate connections can arrive in either order. So
 * every signed request on a key (the stream handshake, the balances poll, the REST relay) takes its nonce and
 * is sent inside this lock, and holds it until BitoPro has answered.
 */
export const signingLock = new KeyedLock();

/**
 * Runs `signAndSend` while holding the key's lock; it must take its nonce inside (e.g. via `signedHeaders`) and
 * resolve once BitoPro has answered. Rejects without running it if `signal` aborts while waiting.
 */
export function inNonceOrder<T>(
  apiKey: string,
  signAndSend: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  return signingLock.run(nonceKey(apiKey), signAndSend, signal);
}

/** X-BITOPRO-PAYLOAD for GET requests and the WebSocket handshake: standard padded base64 of {"identity","nonce"}. */
export function getPayload(identity: string, nonce: number): string {
  return Buffer.from(JSON.stringify({ identity, nonce }), 'utf8').toString('base64');
}

/** X-BITOPRO-SIGNATURE: lowercase hex HMAC-SHA384 keyed with the API secret over the payload's base64 text. */
export function signPayload(apiSecret: string, payload: string): string {
  return createHmac('sha384', apiSecret).update(payload, 'utf8').digest('hex');
}

/** The three auth headers for a GET request or the WebSocket handshake, with the given nonce (ms epoch). */
export function authHeaders(credentials: BitoproCredentials, nonce: number): Record<string, string> {
  const payload = getPayload(credentials.identity, nonce);
  return {
    [HEADER_APIKEY]: credentials.apiKey,
    [HEADER_PAYLOAD]: payload,
    [HEADER_SIGNATURE]: signPayload(credentials.apiSecret, payload),
  };
}

/** Auth headers with a fresh nonce from `nonces` (one per request or connection attempt). */
export function signedHeaders(credentials: BitoproCredentials, nonces: NonceSource): Record<string, string> {
  return authHeaders(credentials, nonces.next(nonceKey(credentials.apiKey)));
}
