import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseRelayTarget } from './relay.ts';
import { HARNESS_ACCOUNT, apiRequest, startHarness, type Harness } from './testing/harness.ts';
import { catalogOf } from './exchanges.ts';
import { FAKE_SECRET, fakeEntry, fakeServer, SIGNATURE_HEADER } from './testing/fake-exchange.ts';

const base = `/api/accounts/${HARNESS_ACCOUNT}/rest`;

describe('parseRelayTarget', () => {
  it.each([
    ['/api/accounts/a/rest/x/y', { accountId: 'a', path: 'x/y', query: '' }],
    ['/api/accounts/a/rest/x?b=1&c=2', { accountId: 'a', path: 'x', query: '?b=1&c=2' }],
    ['/api/accounts/a/rest/x?', { accountId: 'a', path: 'x', query: '' }],
    ['/api/accounts/a/rest/', null],
    ['/api/accounts//rest/x', null],
    ['/api/accounts/a/b/rest/x', null],
    ['/api/accounts/a/history', null],
  ])('%s', (raw, expected) => {
    expect(parseRelayTarget(raw)).toEqual(expected);
  });
});

describe('REST relay on a real server', () => {
  let h: Harness;
  let hitsBefore = 0;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    hitsBefore = h.hits().length;
  });
  const newHits = () => h.hits().slice(hitsBefore);

  it('signs and relays an allowlisted GET: status and JSON body, no upstream headers, no signature', async () => {
    const res = await apiRequest(h.port, 'GET', `${base}/account/balances?limit=5`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toBe('{"level":"1.50","currency":"USD"}');
    expect(res.headers['set-cookie']).toBeUndefined();
    const hits = newHits();
    expect(hits.map((x) => x.path)).toEqual(['/account/balances?limit=5']);
    const signature = String(hits[0]?.headers[SIGNATURE_HEADER]);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(res.headers)).not.toContain(signature);
    expect(res.body).not.toContain(signature);
  });

  it('relays the upstream status (401 from a revoked key)', async () => {
    h.simulator.control({ kind: 'revoke' });
    const res = await apiRequest(h.port, 'GET', `${base}/account/balances`);
    h.simulator.control({ kind: 'restore' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ error: 'bad signature' });
  });

  it('never relays the request signature, even when the exchange echoes request headers', async () => {
    const res = await apiRequest(h.port, 'GET', `${base}/account/echo`);
    expect(res.status).toBe(200);
    const sent = newHits()[0]?.headers ?? {};
    const signature = String(sent[SIGNATURE_HEADER]);
    expect(res.body).not.toContain(signature);
    expect(res.body).not.toContain(FAKE_SECRET);
    expect((JSON.parse(res.body) as { headers: Record<string, string> }).headers[SIGNATURE_HEADER]).toBe(
      '***',
    );
  });

  it('does not follow a redirect: 502 with a message, one upstream hit', async () => {
    const res = await apiRequest(h.port, 'GET', `${base}/account/redirect`);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toEqual({
      error: 'upstream answered with a redirect (HTTP 302); redirects are not followed',
    });
    expect(newHits().map((x) => x.path)).toEqual(['/account/redirect']);
  });

  it('caps the upstream body: 502', async () => {
    const res = await apiRequest(h.port, 'GET', `${base}/account/big`);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toEqual({ error: 'upstream response larger than 2097152 bytes' });
  });

  it('wraps a non-JSON upstream body in a JSON error, keeping the status', async () => {
    const res = await apiRequest(h.port, 'GET', `${base}/account/text`);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ error: 'upstream answered HTTP 503 with a non-JSON body' });
  });

  it('answers 404 for an unknown account, with nothing sent upstream', async () => {
    const res = await apiRequest(h.port, 'GET', '/api/accounts/nobody/rest/account/balances');
    expect(res.status).toBe(404);
    expect(newHits()).toEqual([]);
  });

  it.each([
    ['a path not on the allowlist', `${base}/account/withdraw`],
    ['a prefix of an allowed path', `${base}/account`],
    ['an allowed path plus a segment', `${base}/account/balances/x`],
    ['an allowed path with a trailing slash', `${base}/account/balances/`],
    ['a dot-dot segment', `${base}/account/../account/balances`],
    ['a dot segment', `${base}/./account/balances`],
    ['dot-dot escaping the relay', `/api/accounts/${HARNESS_ACCOUNT}/rest/../../health`],
    ['encoded dots %2e%2e', `${base}/account/%2e%2e/account/balances`],
    ['encoded dots %2E%2E', `${base}/account/%2E%2E/account/balances`],
    ['an encoded slash %2f', `${base}/account%2fbalances`],
    ['an encoded slash %2F', `${base}/account%2Fbalances`],
    ['an encoded backslash %5c', `${base}/account%5cbalances`],
    ['a double-encoded dot %252e', `${base}/account/%252e%252e/account/balances`],
    ['a double slash', `${base}//account/balances`],
    ['a double slash inside', `${base}/account//balances`],
    ['a backslash', `${base}/account\\balances`],
    ['a backslash dot-dot', `${base}/account\\..\\balances`],
    ['a fragment', `${base}/account/balances#x`],
    ['an encoded control character', `${base}/account/balances%00`],
  ])('403 for %s, with nothing sent upstream', async (_name, target) => {
    const res = await apiRequest(h.port, 'GET', target);
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/"error"/);
    expect(newHits()).toEqual([]);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'])(
    '%s on the relay is 405 with nothing sent upstream',
    async (method) => {
      const res = await apiRequest(h.port, method, `${base}/account/balances`);
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET');
      expect(newHits()).toEqual([]);
    },
  );

  it('logged nothing secret', () => {
    const all = h.logs.join('\n');
    expect(all).not.toContain(FAKE_SECRET);
  });
});

describe('REST relay signing order', () => {
  it("signs and sends inside the exchange's signing order when the exchange has one", async () => {
    const order: string[] = [];
    const ordered = {
      ...fakeEntry,
      server: {
        ...fakeServer,
        inSigningOrder: async <T>(_account: unknown, signAndSend: () => Promise<T>): Promise<T> => {
          order.push('enter');
          const result = await signAndSend();
          order.push('leave');
          return result;
        },
      },
    };
    const h = await startHarness({ catalog: catalogOf([ordered]) });
    try {
      const before = h.hits().length;
      const res = await apiRequest(h.port, 'GET', `${base}/account/balances`);
      expect(res.status).toBe(200);
      expect(order).toEqual(['enter', 'leave']);
      expect(h.hits().length).toBe(before + 1);
    } finally {
      await h.close();
    }
  });
});
