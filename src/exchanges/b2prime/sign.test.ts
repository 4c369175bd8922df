import { describe, expect, it } from 'vitest';
import type { AccountConfig, NonceSource } from '../server-types.ts';
import { accountIdSchema, server } from './server.ts';
import {
  bearerHeaders,
  credentialsSchema,
  redactSecret,
  redactedUrl,
  streamUrlWithToken,
  tokenExpiry,
} from './sign.ts';

// B2Prime publishes no signing vectors: it signs nothing. These tests pin how the token is carried.
const TOKEN = 'demo-b2prime-token-not-real';
/** A token with characters that must be encoded in a query string. */
const AWKWARD = 'ab+c/d=e&f%g?h#i';

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJlLW5vdC1yZWFs`;
}

const nonces: NonceSource = {
  next: () => {
    throw new Error('B2Prime needs no nonce');
  },
};

function account(credentials: Record<string, string>): AccountConfig {
  return {
    id: 'b2prime-main',
    exchange: 'b2prime',
    label: 'B2Prime',
    credentials,
    endpoints: { rest: 'https://tenant.example' },
    pollSeconds: 5,
    options: { accountId: '67d0456f8c7b1108e4cf5d46' },
  };
}

describe('b2prime REST authentication', () => {
  it('sends the token as a bearer token, and nothing else', () => {
    expect(bearerHeaders(TOKEN)).toEqual({ Authorization: `Bearer ${TOKEN}` });
  });

  it('signRest uses the account token and no nonce', () => {
    const headers = server.signRest(
      { method: 'GET', url: new URL('https://tenant.example/frontoffice/api/v3/accounts'), body: '' },
      account({ accessToken: 'eyJ.abc.def' }),
      nonces,
    );
    expect(headers).toEqual({ Authorization: 'Bearer eyJ.abc.def' });
  });

  it.each([
    ['empty', '', 'the access token is empty'],
    ['a space', 'abc def', 'the access token contains whitespace or control characters'],
    [
      'a newline (header injection)',
      'abc\r\nX-Evil: 1',
      'the access token contains whitespace or control characters',
    ],
  ])('refuses a token with %s, without echoing it', (_name, token, reason) => {
    expect(() => bearerHeaders(token)).toThrow(`B2Prime credentials: ${reason}`);
    try {
      bearerHeaders(token);
    } catch (err) {
      if (token.length > 0) expect(String(err)).not.toContain(token);
    }
  });
});

describe('b2prime stream URL', () => {
  it.each([
    [
      'the documented path',
      'wss://tenant.example/frontoffice/ws/v3/account',
      TOKEN,
      `wss://tenant.example/frontoffice/ws/v3/account?access_token=${TOKEN}`,
    ],
    [
      'a token that needs encoding',
      'wss://tenant.example/frontoffice/ws/v3/account',
      AWKWARD,
      'wss://tenant.example/frontoffice/ws/v3/account?access_token=ab%2Bc%2Fd%3De%26f%25g%3Fh%23i',
    ],
    [
      'other query parameters kept',
      'ws://127.0.0.1:9000/frontoffice/ws/v4/account?id=abc',
      TOKEN,
      `ws://127.0.0.1:9000/frontoffice/ws/v4/account?id=abc&access_token=${TOKEN}`,
    ],
    [
      'an earlier token replaced',
      'wss://tenant.example/frontoffice/ws/v3/account?access_token=old',
      TOKEN,
      `wss://tenant.example/frontoffice/ws/v3/account?access_token=${TOKEN}`,
    ],
  ])('%s', (_name, base, token, expected) => {
    const url = streamUrlWithToken(base, token);
    expect(url.toString()).toBe(expected);
    expect(url.searchParams.get('access_token')).toBe(token);
  });

  it('redacts the token from a URL before it can be logged', () => {
    const url = streamUrlWithToken('wss://user:pw@tenant.example/frontoffice/ws/v3/account?id=1', AWKWARD);
    const shown = redactedUrl(url);
    expect(shown).toBe('wss://tenant.example/frontoffice/ws/v3/account?id=1&access_token=REDACTED');
    expect(shown).not.toContain('ab+c');
    expect(shown).not.toContain(encodeURIComponent(AWKWARD));
    expect(redactedUrl('not a url')).toBe('(unparseable URL)');
  });

  it('redacts the token from any text, raw or encoded', () => {
    const url = streamUrlWithToken('wss://tenant.example/frontoffice/ws/v3/account', AWKWARD).toString();
    expect(redactSecret(`failed: ${url}`, AWKWARD)).toBe(
      'failed: wss://tenant.example/frontoffice/ws/v3/account?access_token=REDACTED',
    );
    expect(redactSecret(`token ${AWKWARD} and ${encodeURIComponent(AWKWARD)}`, AWKWARD)).toBe(
      'token REDACTED and REDACTED',
    );
    expect(redactSecret('nothing secret', '')).toBe('nothing secret');
  });
});

describe('b2prime credentials', () => {
  it('need exactly an access token', () => {
    expect(credentialsSchema.safeParse({ accessToken: TOKEN }).success).toBe(true);
    expect(credentialsSchema.safeParse({}).success).toBe(false);
    expect(credentialsSchema.safeParse({ accessToken: TOKEN, apiSecret: 'x' }).success).toBe(false);
    expect(server.credentials.safeParse({ accessToken: '' }).success).toBe(false);
  });

  it('mark the token secret and validate the account id', () => {
    expect(server.secretFields).toEqual(['accessToken']);
    expect(server.accountOptions).toEqual({ accountId: accountIdSchema });
    const accountId = accountIdSchema;
    expect(accountId.safeParse('67d0456f8c7b1108e4cf5d46').success).toBe(true);
    expect(accountId.safeParse('67d0456f8c7b1108e4cf5d4').success).toBe(false);
    expect(accountId.safeParse('67d0456f8c7b1108e4cf5d4z').success).toBe(false);
    expect(accountId.safeParse(12345).success).toBe(false);
  });

  it('demo credentials are obviously fake', () => {
    expect(server.demoAccount.credentials).toEqual({ accessToken: 'demo-b2prime-token-not-real' });
    expect(server.demoAccount.thresholds).toEqual({ marginCall: '100', liquidation: '50' });
  });
});

describe('b2prime token expiry (explanations only)', () => {
  it.each([
    ['a JWT with exp', jwt({ sub: 'trader', exp: 1_763_700_000 }), '2025-11-21T04:40:00.000Z'],
    ['a JWT without exp', jwt({ sub: 'trader' }), null],
    ['a JWT with a text exp', jwt({ exp: 'soon' }), null],
    ['an absurd exp', jwt({ exp: 1e300 }), null],
    ['not a JWT', TOKEN, null],
    ['a broken payload', 'a.!!!.c', null],
  ])('%s', (_name, token, expected) => {
    expect(tokenExpiry(token)?.toISOString() ?? null).toBe(expected);
  });
});
