import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ConfigError } from './config.ts';
import {
  constantTimeEqual,
  contentSecurityPolicy,
  cookieValue,
  RequestGuard,
  SESSION_COOKIE,
  SESSION_MAX_AGE_SECONDS,
  unsafePathReason,
} from './security.ts';
import { apiRequest, rawRequest, startHarness, type Harness } from './testing/harness.ts';

const TOKEN = 'test-access-token-0123456789';

/** Opens a WebSocket; resolves with the HTTP status of a refused upgrade, or 101 when it opened. */
async function upgrade(port: number, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/stream`, { headers });
  return new Promise((resolve, reject) => {
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', reject);
  });
}

describe('unsafePathReason', () => {
  it.each([
    ['/api/accounts/a/rest/x/y?q=a%2Fb', null],
    ['/api/health', null],
    ['/api/a/../b', 'dot segment in path'],
    ['/api/a/./b', 'dot segment in path'],
    ['/api/a/..', 'dot segment in path'],
    ['/api/%2e%2e/b', 'encoded slash, backslash, dot or percent in path'],
    ['/api/a%2Fb', 'encoded slash, backslash, dot or percent in path'],
    ['/api/a%5Cb', 'encoded slash, backslash, dot or percent in path'],
    ['/api/a%252e', 'encoded slash, backslash, dot or percent in path'],
    ['/api/a%00', 'encoded control character in path'],
    ['/api//a', 'empty path segment'],
    ['/api/a\\b', 'backslash in path'],
    ['/api/a#b', 'fragment in URL'],
    ['/api/a\u0001', 'control character in URL'],
    ['api/a', 'URL must be a path'],
  ])('%s → %s', (url, reason) => {
    expect(unsafePathReason(url)).toBe(reason);
  });
});

describe('RequestGuard', () => {
  const guard = new RequestGuard({ host: '127.0.0.1', allowedOrigins: ['https://dash.example.com'] });
  guard.setPort(5178);

  it.each([
    ['127.0.0.1:5178', true],
    ['localhost:5178', true],
    ['LOCALHOST:5178', true],
    ['[::1]:5178', true],
    ['dash.example.com', true],
    ['dash.example.com:443', true],
    ['127.0.0.1', false],
    ['127.0.0.1:5179', false],
    ['evil.example:5178', false],
    ['localhost.evil.example:5178', false],
    ['', false],
  ])('Host %s → %s', (host, ok) => {
    expect(guard.hostAllowed(host)).toBe(ok);
  });

  it.each([
    ['http://127.0.0.1:5178', true],
    ['http://localhost:5178', true],
    ['http://[::1]:5178', true],
    ['https://dash.example.com', true],
    ['http://dash.example.com', false],
    ['http://127.0.0.1:5179', false],
    ['https://127.0.0.1:5178', false],
    ['null', false],
    ['http://evil.example', false],
  ])('Origin %s → %s', (origin, ok) => {
    expect(guard.originAllowed(origin)).toBe(ok);
  });

  it('accepts another configured loopback address', () => {
    const other = new RequestGuard({ host: '127.0.0.2', allowedOrigins: [] });
    other.setPort(5178);
    expect(other.hostAllowed('127.0.0.2:5178')).toBe(true);
    expect(other.originAllowed('http://127.0.0.2:5178')).toBe(true);
  });

  it('accepts a configured non-loopback host name', () => {
    const lan = new RequestGuard({ host: '192.168.1.20', allowedOrigins: [], accessToken: TOKEN });
    lan.setPort(80);
    expect(lan.hostAllowed('192.168.1.20')).toBe(true);
    expect(lan.originAllowed('http://192.168.1.20')).toBe(true);
  });

  it('refuses every real port before the served port is known', () => {
    const early = new RequestGuard({ host: '127.0.0.1', allowedOrigins: [] });
    expect(early.hostAllowed('127.0.0.1:5178')).toBe(false);
    expect(early.originAllowed('http://127.0.0.1:5178')).toBe(false);
  });

  it('checks the token from a Bearer header or the session cookie, never from elsewhere', () => {
    const g = new RequestGuard({ host: '127.0.0.1', allowedOrigins: [], accessToken: TOKEN });
    const cookie = g.sessionCookie().split(';')[0] ?? '';
    expect(g.tokenPresent(undefined, `Bearer ${TOKEN}`)).toBe(true);
    expect(g.tokenPresent(undefined, `Bearer ${TOKEN}x`)).toBe(false);
    expect(g.tokenPresent(`a=b; ${cookie}`, undefined)).toBe(true);
    expect(g.tokenPresent(`${SESSION_COOKIE}=${TOKEN}`, undefined)).toBe(false);
    expect(g.tokenPresent(undefined, undefined)).toBe(false);
    expect(cookie).not.toContain(TOKEN);
    expect(g.sessionCookie()).toMatch(/; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  });

  it('signs the session cookie with its issue time, and refuses it after 30 days or when altered', () => {
    let now = Date.UTC(2026, 0, 1);
    const g = new RequestGuard({ host: '127.0.0.1', allowedOrigins: [], accessToken: TOKEN, now: () => now });
    const cookie = g.sessionCookie().split(';')[0] ?? '';
    const value = cookie.slice(SESSION_COOKIE.length + 1);
    expect(value).toMatch(/^\d+\.[0-9a-f]{64}$/);
    expect(value.split('.')[0]).toBe(String(now / 1000));
    now += SESSION_MAX_AGE_SECONDS * 1000;
    expect(g.tokenPresent(cookie, undefined)).toBe(true);
    now += 1000;
    expect(g.tokenPresent(cookie, undefined)).toBe(false);
    expect(g.tokenPresent(undefined, `Bearer ${TOKEN}`)).toBe(true);

    now = Date.UTC(2026, 0, 1);
    const [issued, mac] = value.split('.');
    const later = `${SESSION_COOKIE}=${Number(issued) + 86_400}.${mac ?? ''}`;
    expect(g.tokenPresent(later, undefined)).toBe(false);
    const otherToken = new RequestGuard({
      host: '127.0.0.1',
      allowedOrigins: [],
      accessToken: `${TOKEN}-new`,
    });
    expect(otherToken.tokenPresent(cookie, undefined)).toBe(false);
  });

  it('helpers', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(cookieValue('a=1; b = 2', 'b')).toBe('2');
    expect(cookieValue(undefined, 'b')).toBeUndefined();
    expect(contentSecurityPolicy('127.0.0.1:5178')).toContain(
      "connect-src 'self' ws://127.0.0.1:5178 wss://127.0.0.1:5178",
    );
  });
});

describe('security on a real server (no token)', () => {
  let h: Harness;
  let origin = '';
  beforeAll(async () => {
    h = await startHarness();
    origin = `http://127.0.0.1:${h.port}`;
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves the API with security headers', async () => {
    const res = await rawRequest(h.port, 'GET', '/api/health', { origin });
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['content-security-policy']).toContain(`ws://127.0.0.1:${h.port}`);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  const cases: { name: string; headers: Record<string, string>; status: number }[] = [
    { name: 'a foreign Host', headers: { host: 'evil.example:80' }, status: 403 },
    {
      name: 'a rebinding Host name on the served port',
      headers: { host: 'attacker.example:PORT' },
      status: 403,
    },
    { name: 'a foreign Origin', headers: { origin: 'http://evil.example' }, status: 403 },
    { name: 'a null Origin', headers: { origin: 'null' }, status: 403 },
    { name: 'a cross-site request without Origin', headers: { 'sec-fetch-site': 'cross-site' }, status: 403 },
    { name: 'a same-site request without Origin', headers: { 'sec-fetch-site': 'same-site' }, status: 403 },
    { name: 'no Origin (a script)', headers: {}, status: 200 },
    { name: 'a same-origin fetch', headers: { 'sec-fetch-site': 'same-origin' }, status: 200 },
    { name: 'localhost as Host', headers: { host: 'localhost:PORT' }, status: 200 },
  ];
  it.each(cases)('GET /api/accounts with $name → $status', async ({ headers, status }) => {
    const fixed = Object.fromEntries(
      Object.entries(headers).map(([k, v]) => [k, v.replace('PORT', String(h.port))]),
    );
    const res = await apiRequest(h.port, 'GET', '/api/accounts', fixed);
    expect(res.status).toBe(status);
  });

  it.each([
    ['/api/accounts', {}, 403],
    ['/api/accounts', { 'x-margin-watch': '0' }, 403],
    [`/api/accounts/fake-a/rest/account/balances`, {}, 403],
    ['/api/health', {}, 200],
  ] as [string, Record<string, string>, number][])(
    'GET %s with %j instead of X-Margin-Watch: 1 → %i (what an <img> or <script> on any site sends)',
    async (target, headers, status) => {
      const before = h.hits().length;
      const res = await rawRequest(h.port, 'GET', target, headers);
      expect(res.status).toBe(status);
      if (status === 403)
        expect(JSON.parse(res.body)).toEqual({
          error: 'API requests need the request header X-Margin-Watch: 1',
        });
      expect(h.hits().length).toBe(before);
    },
  );

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('%s on /api/health → 405', async (method) => {
    const res = await rawRequest(h.port, method, '/api/health', { origin });
    expect(res.status).toBe(405);
  });

  it('refuses a foreign Host on the dashboard too', async () => {
    expect((await rawRequest(h.port, 'GET', '/', { host: 'evil.example' })).status).toBe(403);
  });

  it('refuses a WebSocket upgrade without Origin, with a null or foreign Origin, or a foreign Host', async () => {
    expect(await upgrade(h.port, {})).toBe(403);
    expect(await upgrade(h.port, { origin: 'null' })).toBe(403);
    expect(await upgrade(h.port, { origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade(h.port, { origin, host: 'evil.example' })).toBe(403);
    expect(await upgrade(h.port, { origin })).toBe(101);
  });
});

describe('access token', () => {
  let h: Harness;
  let origin = '';
  beforeAll(async () => {
    h = await startHarness({ accessToken: TOKEN });
    origin = `http://127.0.0.1:${h.port}`;
  });
  afterAll(async () => {
    await h.close();
  });

  it('is required on the API', async () => {
    const res = await rawRequest(h.port, 'GET', '/api/accounts', { origin });
    expect(res.status).toBe(401);
    expect(res.body).not.toContain(TOKEN);
  });

  it('is required on the relay, and nothing goes upstream without it', async () => {
    const before = h.hits().length;
    const res = await rawRequest(h.port, 'GET', '/api/accounts/fake-a/rest/account/balances');
    expect(res.status).toBe(401);
    expect(h.hits().length).toBe(before);
  });

  it.each(['/%61pi/accounts', '/API/accounts', '/api/%61ccounts', '/api/accounts/'])(
    'is required however the API path is spelled: %s',
    async (target) => {
      expect((await rawRequest(h.port, 'GET', target, { origin })).status).toBe(401);
    },
  );

  it('accepts Authorization: Bearer', async () => {
    const res = await apiRequest(h.port, 'GET', '/api/accounts', { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
  });

  it('refuses a wrong token on /?token= without setting a cookie', async () => {
    const res = await rawRequest(h.port, 'GET', '/?token=wrong');
    expect(res.status).toBe(403);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('trades /?token= for an HttpOnly SameSite=Strict cookie and a redirect to /, then lets the browser in', async () => {
    const res = await rawRequest(h.port, 'GET', `/?token=${TOKEN}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0] ?? '';
    expect((await apiRequest(h.port, 'GET', '/api/accounts', { origin, cookie })).status).toBe(200);
    expect(await upgrade(h.port, { origin })).toBe(401);
    expect(await upgrade(h.port, { origin, cookie })).toBe(101);
  });

  it('never logs the token', () => {
    expect(h.logs.join('\n')).not.toContain(TOKEN);
  });
});

describe('exposure', () => {
  it('refuses to listen on a non-loopback address without a token', async () => {
    await expect(startHarness({ host: '0.0.0.0' })).rejects.toBeInstanceOf(ConfigError);
  });

  it('requires the token on every API request when listening beyond loopback', async () => {
    const h = await startHarness({ host: '0.0.0.0', accessToken: TOKEN });
    try {
      // Every interface, but no allowedOrigins: only loopback names pass the Host check, which is said.
      expect(h.server.url).toBe(`http://127.0.0.1:${h.port}`);
      expect(h.logs.join('\n')).toContain(
        'other machines are refused until the address they open is in server.allowedOrigins',
      );
      const origin = `http://127.0.0.1:${h.port}`;
      expect((await rawRequest(h.port, 'GET', '/api/health', { origin })).status).toBe(401);
      expect(await upgrade(h.port, { origin })).toBe(401);
      expect(await upgrade(h.port, { origin, authorization: `Bearer ${TOKEN}` })).toBe(101);
    } finally {
      await h.close();
    }
  });
});
