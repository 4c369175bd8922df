// B2Prime request authentication (proxy-only). B2Prime signs nothing: every REST call carries the trader's
// access token (a JWT) as a bearer token, and the account stream carries it in the `access_token` query
// parameter, the standard SignalR pattern for WebSockets.
import { z } from 'zod';

/** The credentials of a B2Prime account: only the access token. */
export const credentialsSchema = z.strictObject({
  accessToken: z
    .string()
    .min(1, 'the access token is empty')
    .refine((token) => ![...token].some((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f), {
      message: 'the access token contains whitespace or control characters',
    }),
});
export type B2primeCredentials = z.infer<typeof credentialsSchema>;

/** Name of the query parameter that carries the token on the stream URL. */
export const TOKEN_PARAM = 'access_token';

/** Placeholder that replaces the token wherever a URL may be shown. */
export const REDACTED = 'REDACTED';

function checkedToken(accessToken: string): string {
  const parsed = credentialsSchema.shape.accessToken.safeParse(accessToken);
  if (!parsed.success)
    throw new Error(`B2Prime credentials: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** Headers of an authenticated REST request: `Authorization: Bearer <token>`. */
export function bearerHeaders(accessToken: string): Record<string, string> {
  return { Authorization: `Bearer ${checkedToken(accessToken)}` };
}

/**
 * The stream URL with the token in `access_token` (URL-encoded; any earlier value replaced). Keep the result
 * out of logs: show `redactedUrl(...)` instead.
 */
export function streamUrlWithToken(wsUrl: string, accessToken: string): URL {
  const url = new URL(wsUrl);
  url.searchParams.set(TOKEN_PARAM, checkedToken(accessToken));
  return url;
}

/** A URL safe to log: the `access_token` value (if any) replaced, user info removed. */
export function redactedUrl(url: URL | string): string {
  let copy: URL;
  try {
    copy = new URL(url.toString());
  } catch {
    return '(unparseable URL)';
  }
  if (copy.searchParams.has(TOKEN_PARAM)) copy.searchParams.set(TOKEN_PARAM, REDACTED);
  copy.username = '';
  copy.password = '';
  return copy.toString();
}

const jwtClaims = z.object({ exp: z.number().finite() });

/**
 * When a JWT access token expires (its unverified `exp` claim), or null when the token is not a JWT or has
 * no expiry. Used only to explain a refusal ("the token expired at …"); never to decide anything.
 */
export function tokenExpiry(accessToken: string): Date | null {
  const parts = accessToken.split('.');
  const payload = parts.length === 3 ? parts[1] : undefined;
  if (payload === undefined || payload.length === 0) return null;
  try {
    const claims = jwtClaims.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!claims.success) return null;
    const expiry = new Date(claims.data.exp * 1000);
    return Number.isNaN(expiry.getTime()) ? null : expiry;
  } catch {
    return null;
  }
}

/** Replaces every occurrence of `secret` in `text` (for error texts that might echo a URL or header). */
export function redactSecret(text: string, secret: string): string {
  if (secret.length === 0) return text;
  let result = text.split(secret).join(REDACTED);
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) result = result.split(encoded).join(REDACTED);
  const formEncoded = new URLSearchParams({ t: secret }).toString().slice(2);
  if (formEncoded !== secret && formEncoded !== encoded) result = result.split(formEncoded).join(REDACTED);
  return result;
}
