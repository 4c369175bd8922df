import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ConfigError } from './config.ts';
import {
  bearerToken,
  ConnectionLimit,
  contentSecurityPolicy,
  cookieValues,
  RequestGuard,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  SESSION_MAX_AGE_SECONDS,
  SessionStore,
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

  it('issues random session ids, never the token, as a plain cookie over HTTP and a __Host- one over HTTPS', () => {
    const g = new RequestGuard({ host: '127.0.0.1', allowedOrigins: [], accessToken: TOKEN });
    const plain = g.sessionCookie(false);
    expect(plain).toMatch(
      new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000$`),
    );
    expect(g.sessionCookie(true)).toMatch(
      new RegExp(`^${SECURE_SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; Secure; HttpOnly; SameSite=Strict;`),
    );
    expect(plain).not.toContain(TOKEN);
    expect(g.sessionCookie(false)).not.toBe(plain);
    expect(g.sessionPresent(plain.split(';')[0])).toBe(true);
    expect(g.sessionPresent(`${SESSION_COOKIE}=${TOKEN}`)).toBe(false);
    expect(g.sessionPresent(undefined)).toBe(false);
  });

  it('accepts the session when any cookie of its name is valid, whatever comes first', () => {
    const g = new RequestGuard({ host: '127.0.0.1', allowedOrigins: [], accessToken: TOKEN });
    const real = g.sessionCookie(false).split(';')[0] ?? '';
    const secure = g.sessionCookie(true).split(';')[0] ?? '';
    expect(g.sessionPresent(`${SESSION_COOKIE}=planted; other=1; ${real}`)).toBe(true);
    expect(g.sessionPresent(`${SESSION_COOKIE}=planted; ${secure}`)).toBe(true);
    expect(g.sessionPresent(`${SESSION_COOKIE}=planted; ${SESSION_COOKIE}=x`)).toBe(false);
  });

  it('keeps sessions for 30 days, in memory only: another guard (a restart) or a revocation ends them', () => {
    let now = Date.UTC(2026, 0, 1);
    const g = new RequestGuard({ host: '127.0.0.1', allowedOrigins: [], accessToken: TOKEN, now: () => now });
    const cookie = g.sessionCookie(false).split(';')[0] ?? '';
    now += SESSION_MAX_AGE_SECONDS * 1000;
    expect(g.sessionPresent(cookie)).toBe(true);
    now += 1;
    expect(g.sessionPresent(cookie)).toBe(false);

    const fresh = g.sessionCookie(false).split(';')[0] ?? '';
    const restarted = new RequestGuard({ host: '127.0.0.1', allowedOrigins: [], accessToken: TOKEN });
    expect(restarted.sessionPresent(fresh)).toBe(false);
    expect(g.sessionPresent(fresh)).toBe(true);
    g.sessions.revokeAll();
    expect(g.sessionPresent(fresh)).toBe(false);
  });

  it('keeps at most so many sessions, dropping the oldest', () => {
    const store = new SessionStore(Date.now, 2);
    const [a, b, c] = [store.issue(), store.issue(), store.issue()];
    expect([store.valid(a), store.valid(b), store.valid(c), store.size]).toEqual([false, true, true, 2]);
  });

  it('knows a request is served over HTTPS from a TLS socket or an https:// allowed origin', () => {
    const g = new RequestGuard({ host: '127.0.0.1', allowedOrigins: ['https://dash.example.com'] });
    g.setPort(5178);
    expect(g.servedOverHttps('dash.example.com', 'http')).toBe(true);
    expect(g.servedOverHttps('dash.example.com:443', 'http')).toBe(true);
    expect(g.servedOverHttps('127.0.0.1:5178', 'http')).toBe(false);
    expect(g.servedOverHttps('127.0.0.1:5178', 'https')).toBe(true);
    expect(g.servedOverHttps(undefined, 'http')).toBe(false);
  });

  it('counts open connections per client up to a cap', () => {
    const limit = new ConnectionLimit(2);
    const first = limit.acquire('a');
    expect(limit.acquire('a')).not.toBeNull();
    expect(limit.acquire('a')).toBeNull();
    expect(limit.full('a')).toBe(true);
    expect(limit.acquire('b')).not.toBeNull();
    first?.();
    first?.();
    expect(limit.full('a')).toBe(false);
    expect(limit.acquire('a')).not.toBeNull();
    expect(limit.acquire('a')).toBeNull();
  });

  it('helpers', () => {
    expect(cookieValues('a=1; b = 2; b=3', 'b')).toEqual(['2', '3']);
    expect(cookieValues(undefined, 'b')).toEqual([]);
    expect(bearerToken('Bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
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

  it('lets the browser in when a page on another port of this host planted its own mw_session first', async () => {
    const res = await rawRequest(h.port, 'GET', `/?token=${TOKEN}`);
    const cookie = String(res.headers['set-cookie']).split(';')[0] ?? '';
    const planted = `${SESSION_COOKIE}=planted-by-another-service`;
    const both = { origin, cookie: `${planted}; ${cookie}` };
    expect((await apiRequest(h.port, 'GET', '/api/accounts', both)).status).toBe(200);
    expect(await upgrade(h.port, both)).toBe(101);
    expect((await apiRequest(h.port, 'GET', '/api/accounts', { origin, cookie: planted })).status).toBe(401);
  });

  it('never logs the token', () => {
    expect(h.logs.join('\n')).not.toContain(TOKEN);
  });
});

describe('access token behind an HTTPS reverse proxy', () => {
  let h: Harness;
  const origin = 'https://dash.example.com';
  beforeAll(async () => {
    h = await startHarness({ accessToken: TOKEN, allowedOrigins: [origin] });
  });
  afterAll(async () => {
    await h.close();
  });

  it('issues a __Host- session cookie marked Secure, and accepts it', async () => {
    const res = await rawRequest(h.port, 'GET', `/?token=${TOKEN}`, { host: 'dash.example.com' });
    expect(res.status).toBe(303);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(
      new RegExp(`^${SECURE_SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; Secure; HttpOnly`),
    );
    const cookie = setCookie.split(';')[0] ?? '';
    const headers = { host: 'dash.example.com', origin, cookie };
    expect((await apiRequest(h.port, 'GET', '/api/accounts', headers)).status).toBe(200);
  });

  it('issues a plain cookie to the loopback address, which is plain HTTP', async () => {
    const res = await rawRequest(h.port, 'GET', `/?token=${TOKEN}`);
    expect(String(res.headers['set-cookie'])).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(String(res.headers['set-cookie'])).not.toMatch(/Secure/);
  });
});

describe('wrong access tokens', () => {
  let h: Harness;
  let origin = '';
  const limit = { max: 3, windowMs: 10 * 60_000 };
  beforeAll(async () => {
    h = await startHarness({ accessToken: TOKEN, failedTokenLimit: limit });
    origin = `http://127.0.0.1:${h.port}`;
  });
  afterAll(async () => {
    await h.close();
  });

  it('are limited per client: once spent, even the right token is refused without being compared', async () => {
    const session = await rawRequest(h.port, 'GET', `/?token=${TOKEN}`);
    const cookie = String(session.headers['set-cookie']).split(';')[0] ?? '';
    const guess = (n: number) =>
      apiRequest(h.port, 'GET', '/api/accounts', { origin, authorization: `Bearer guess-${n}-0123456789` });
    // Sent at once: each is compared and counted before the next, so exactly `max` of them are compared.
    const answers = await Promise.all(Array.from({ length: 12 }, (_, n) => guess(n)));
    expect(answers.filter((a) => a.status === 401)).toHaveLength(limit.max);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(12 - limit.max);

    const right = await apiRequest(h.port, 'GET', '/api/accounts', {
      origin,
      authorization: `Bearer ${TOKEN}`,
    });
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(right.body)).toEqual({
      error: expect.stringMatching(
        /^too many wrong access tokens from this address: try again in \d+ s$/,
      ) as string,
    });
    expect((await rawRequest(h.port, 'GET', `/?token=${TOKEN}`)).status).toBe(429);
    // A browser that already has its session is not locked out by someone guessing from the same address.
    expect((await apiRequest(h.port, 'GET', '/api/accounts', { origin, cookie })).status).toBe(200);
  });

  it('are logged with the client address, never with the token tried', () => {
    const refused = h.logs.filter((line) => line.includes('access token refused'));
    expect(refused).toHaveLength(limit.max);
    expect(refused.at(-1)).toContain('further attempts refused');
    expect(JSON.parse(refused[0] ?? '{}')).toMatchObject({
      level: 'warn',
      client: '127.0.0.1',
      via: 'Authorization header',
      failures: 1,
      limit: limit.max,
    });
    expect(h.logs.join('\n')).not.toMatch(/guess-\d+/);
    expect(h.logs.join('\n')).not.toContain(TOKEN);
  });
});

describe('wrong tokens on /?token=', () => {
  it('count against the same limit, and are logged without the token', async () => {
    const h = await startHarness({ accessToken: TOKEN, failedTokenLimit: { max: 2, windowMs: 10 * 60_000 } });
    try {
      expect((await rawRequest(h.port, 'GET', '/?token=typo-1')).status).toBe(403);
      expect((await rawRequest(h.port, 'GET', '/?token=typo-2')).status).toBe(403);
      expect((await rawRequest(h.port, 'GET', `/?token=${TOKEN}`)).status).toBe(429);
      expect(h.logs.join('\n')).toContain('"via":"/?token="');
      expect(h.logs.join('\n')).not.toContain('typo-');
    } finally {
      await h.close();
    }
  });
});

describe('streams per client', () => {
  it('are capped, with a clear refusal, and free again once one closes', async () => {
    const h = await startHarness({ maxStreamsPerClient: 2 });
    const origin = `http://127.0.0.1:${h.port}`;
    const open = () => new WebSocket(`ws://127.0.0.1:${h.port}/api/stream`, { headers: { origin } });
    const opened = (ws: WebSocket) => new Promise((resolve) => ws.once('open', resolve));
    try {
      const first = open();
      const second = open();
      await Promise.all([opened(first), opened(second)]);
      const refused = await rawRequest(h.port, 'GET', '/api/stream', {
        origin,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      });
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body)).toEqual({
        error: 'too many open streams from this address (at most 2): close another dashboard tab',
      });
      const closed = new Promise((resolve) => first.once('close', resolve));
      first.close();
      await closed;
      // The server counts the stream as closed once it has seen the close; ask until it has.
      let status = 0;
      for (let i = 0; i < 50 && status !== 101; i++) {
        status = await upgrade(h.port, { origin });
        if (status !== 101) await new Promise((r) => setTimeout(r, 20));
      }
      expect(status).toBe(101);
      second.terminate();
    } finally {
      await h.close();
    }
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
